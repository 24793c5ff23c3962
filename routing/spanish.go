package routing

import (
	"fmt"
	"strconv"
	"time"
)

// spanish is everything Switchboard knows of Spanish: a line's file needs
// only its greeting, crisis line, menu labels and messages in Spanish.
func spanish() Builtin {
	return Builtin{
		Code: "es",
		Name: "Spanish",
		Prompts: map[string]string{
			"greeting":           "Ha llamado a {practice}.",
			"closed":             "Estamos cerrados.",
			"closedFor":          "Hoy cerramos por {holiday}.",
			"reopens":            "Abrimos {opening}.",
			"optionKey":          "{label}, oprima {digit}.",
			"optionKeyOrSay":     "{label}, oprima {digit} o diga {phrase}.",
			"extensions":         "Si conoce la extensión, oprima asterisco y márquela.",
			"invalid":            "Disculpe, esa opción no existe.",
			"noInput":            "No escuché ninguna respuesta.",
			"notUnderstood":      "Disculpe, no le entendí.",
			"ambiguous":          "Escuché más de una opción.",
			"dialExtension":      "Marque la extensión y luego oprima numeral.",
			"noExtension":        "No existe la extensión {digits}.",
			"menuKey":            "Para volver al menú principal, oprima asterisco.",
			"connecting":         "Un momento, por favor; le comunico.",
			"connectTo":          "Le comunico con {name}.",
			"unavailable":        "Lo sentimos, en este momento nadie puede atender su llamada.",
			"afterHours":         "Esa extensión no recibe llamadas mientras la oficina está cerrada.",
			"apology":            "Lo sentimos, tuvimos un problema técnico.",
			"goodbye":            "Gracias por llamar. Hasta luego.",
			"crisisConnect":      "Por favor, no cuelgue. Le comunico ahora con una persona.",
			"lifelineOffer":      "Para hablar ahora con la Línea 9 8 8 de Prevención del Suicidio y Crisis, oprima 1 o diga sí. Para dejarnos una solicitud urgente de llamada, oprima 2.",
			"lifelineConnecting": "Le comunico ahora con la Línea 9 8 8. Por favor, no cuelgue.",
			"lifelineFailed":     "Lo sentimos, no se pudo completar la llamada a la Línea 9 8 8.",
			"callbackOffer":      "Podemos tomar sus datos para devolverle la llamada.",
			"callbackCallerId":   "Podemos llamarle al número desde el que nos llama, que termina en {last4}. Para usarlo, oprima 1 o diga sí. Para darnos otro número, oprima 2.",
			"callbackEnter":      "Marque el número al que debemos llamarle, con el código de área, y luego oprima numeral.",
			"callbackAbroad":     "Si es un número fuera de los Estados Unidos y Canadá, oprima asterisco y luego el código del país.",
			"callbackReadBack":   "Marcó {number}. Si es correcto, oprima 1 o diga sí. Para marcarlo de nuevo, oprima 2.",
			"callbackSaved":      "Ya guardamos su solicitud.",
			"callbackNotSaved":   "Lo sentimos, no pudimos guardar su solicitud. Por favor, vuelva a llamar, o escriba a la oficina de citas desde el portal de clientes.",
			"callbackNoNumber":   "Disculpe, no pude anotar su número.",
			"consentVoicemail":   "Si no logramos comunicarnos con usted, ¿podemos dejarle un mensaje de voz en ese número? Oprima 1 o diga sí; oprima 2 o diga no.",
			"consentName":        "¿Podemos mencionar el nombre de {practice} en ese mensaje? Oprima 1 o diga sí; oprima 2 o diga no.",
			"callbackMessage":    "Si quiere, deje un mensaje breve después del tono, por ejemplo a qué hora le conviene que le llamemos. Por favor, no incluya información sobre su salud. Al terminar, oprima numeral o simplemente cuelgue.",
			"callbackDone":       "Todo listo: {when}.",
			"whenToday":          "alguien le llamará hoy mismo, lo antes posible",
			"whenOpens":          "alguien le llamará cuando abramos, {opening}",
			"whenUnknown":        "alguien le llamará lo antes posible",
			"numberTooShort":     "Disculpe, ese número es demasiado corto.",
			"numberInvalid":      "Disculpe, ese número de teléfono no es válido.",
			"numberPremium":      "Disculpe, no podemos llamar a números de tarifa especial.",
			"numberNotCallable":  "Disculpe, no podemos devolver llamadas a ese tipo de número.",
			"numberEmergency":    "Disculpe, ese es un número de emergencia o de servicio.",
			"numberCountry":      "Disculpe, solo podemos devolver llamadas a números de los Estados Unidos y Canadá.",
			"numberOwn":          "Ese es uno de nuestros propios números. Marque el número donde podemos encontrarle.",
		},
		Answers: Answers{
			Yes:   []string{"sí", "si", "claro", "correcto", "está bien", "de acuerdo", "este número", "ese número", "vale", "okay"},
			No:    []string{"otro", "otro número", "diferente", "distinto", "incorrecto", "no", "nuevo número"},
			Back:  []string{"menú", "menu", "volver", "regresar", "empezar de nuevo"},
			Hints: "sí, no, este número, otro número, menú principal",
		},
		Distress: Distress{
			Crisis: []string{"suicid*", "quitarme la vida", "quitarse la vida", "matarme", "me quiero matar",
				"hacerme daño", "hacerme dano", "lastimarme", "autolesión*", "no quiero vivir", "quiero morir*",
				"crisis", "emergencia", "sobredosis", "me voy a morir"},
			Plea:      []string{"ayuda", "ayúdeme", "ayudeme", "ayúdenme", "ayudenme", "auxilio", "necesito ayuda", "por favor ayúdeme"},
			Therapist: []string{"mi terapeuta", "terapeuta", "mi psicólogo", "mi psicóloga", "mi psicologo", "mi psicologa", "mi consejero", "mi consejera", "un mensaje para", "doctor", "doctora"},
		},
		Holidays: map[string]string{
			"new-year": "Año Nuevo", "mlk-day": "el Día de Martin Luther King", "presidents-day": "el Día de los Presidentes",
			"memorial-day": "el Día de los Caídos", "juneteenth": "el Día de la Emancipación", "independence-day": "el Día de la Independencia",
			"labor-day": "el Día del Trabajo", "columbus-day": "el Día de la Hispanidad", "veterans-day": "el Día de los Veteranos",
			"thanksgiving": "el Día de Acción de Gracias", "day-after-thanksgiving": "el día después de Acción de Gracias",
			"christmas": "Navidad",
		},
		// Measured with espeak-ng beside English's 150.
		WordsPerMinute: 135,
		DistressSample: "tengo pensamientos suicidas",
		opening:        spokenOpeningES,
	}
}

// spokenOpeningES says an opening as a Spanish speaker would: "mañana a
// las 8 de la mañana", "el lunes a la 1 de la tarde", "el jueves 24 de
// diciembre a las 9:30 de la mañana".
func spokenOpeningES(t time.Time, days int) string {
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	clock := strconv.Itoa(h)
	if t.Minute() != 0 {
		clock += fmt.Sprintf(":%02d", t.Minute())
	}
	at := "a las " + clock
	if h == 1 {
		at = "a la " + clock
	}
	switch hr := t.Hour(); {
	case hr < 12:
		at += " de la mañana"
	case hr == 12:
		at += " del mediodía"
	case hr < 20:
		at += " de la tarde"
	default:
		at += " de la noche"
	}
	weekdays := [...]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}
	months := [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	wd := weekdays[t.Weekday()]
	switch {
	case days <= 0:
		return "hoy " + at
	case days == 1 && t.Hour() < 12:
		// "mañana a las 8", never "mañana a las 8 de la mañana".
		return "mañana a las " + clock
	case days == 1:
		return "mañana " + at
	case days < 7:
		return "el " + wd + " " + at
	}
	return fmt.Sprintf("el %s %d de %s %s", wd, t.Day(), months[t.Month()-1], at)
}
