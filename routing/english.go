package routing

import "time"

// english is everything Switchboard knows of English: the default language
// of a line, and the rules used for a language it does not know.
func english() Builtin {
	return Builtin{
		Code: "en",
		Name: "English",
		Prompts: map[string]string{
			"greeting":           "Thank you for calling {practice}.",
			"closed":             "We're closed.",
			"closedFor":          "We're closed for {holiday}.",
			"reopens":            "We reopen {opening}.",
			"optionKey":          "{label}, press {digit}.",
			"optionKeyOrSay":     "{label}, press {digit} or say {phrase}.",
			"extensions":         "If you know an extension, press star, then dial it.",
			"invalid":            "Sorry, that is not an option.",
			"noInput":            "I didn't hear anything.",
			"notUnderstood":      "Sorry, I didn't catch that.",
			"ambiguous":          "I heard more than one choice.",
			"dialExtension":      "Please dial the extension, then press pound.",
			"noExtension":        "There is no extension {digits}.",
			"menuKey":            "To go back to the main menu, press star.",
			"connecting":         "Please hold while I connect you.",
			"connectTo":          "Connecting you to {name}.",
			"unavailable":        "I'm sorry, nobody is able to take your call right now.",
			"afterHours":         "That extension does not take calls while the office is closed.",
			"apology":            "I'm sorry, something went wrong on our side.",
			"goodbye":            "Thank you for calling. Goodbye.",
			"crisisConnect":      "Please stay on the line. I'm connecting you with someone now.",
			"lifelineOffer":      "To be connected now to the 9 8 8 Suicide and Crisis Lifeline, press 1 or say yes. To leave us an urgent request to call you back, press 2.",
			"lifelineConnecting": "Connecting you to the Lifeline now. Please stay on the line.",
			"lifelineFailed":     "I'm sorry, the call to the Lifeline did not go through.",
			"whisper":            "{group} call from the {practice} main line. Press 1 to accept the call.",
			"whisperWaited":      "The caller already waited through one ring.",
			"whisperDeclined":    "The call was not accepted. Goodbye.",
			"whisperUrgent":      "Urgent: the caller may be in crisis.",
			"callbackOffer":      "I can take a request for us to call you back.",
			"callbackCallerId":   "We can call you back at the number you are calling from, ending in {last4}. To use it, press 1 or say yes. To give a different number, press 2.",
			"callbackEnter":      "Please enter the phone number we should call, with the area code, then press pound.",
			"callbackAbroad":     "For a number outside the United States and Canada, press star, then the country code.",
			"callbackReadBack":   "You entered {number}. If that is right, press 1 or say yes. To enter it again, press 2.",
			"callbackSaved":      "Your request is saved.",
			"callbackNotSaved":   "I'm sorry, I could not save your request. Please call again, or send a message to scheduling in the client portal.",
			"callbackNoNumber":   "Sorry, I could not take your number.",
			"consentVoicemail":   "If we miss you, may we leave a voicemail at that number? Press 1 or say yes, press 2 or say no.",
			"consentName":        "May that voicemail mention {practice} by name? Press 1 or say yes, press 2 or say no.",
			"callbackMessage":    "If you like, leave a short message after the tone, such as the best time to reach you. Please do not include details about your health. Press pound when you are done, or simply hang up.",
			"callbackDone":       "We're all set: {when}.",
			"whenToday":          "someone will call you back today, as soon as we can",
			"whenOpens":          "someone will call you back after we open {opening}",
			"whenUnknown":        "someone will call you back as soon as possible",
			"numberTooShort":     "Sorry, that number is too short.",
			"numberInvalid":      "Sorry, that is not a valid phone number.",
			"numberPremium":      "Sorry, we cannot call premium-rate or shared-cost numbers.",
			"numberNotCallable":  "Sorry, we cannot call that kind of number back.",
			"numberEmergency":    "Sorry, that is an emergency or service number.",
			"numberCountry":      "Sorry, we can only call back numbers in the United States and Canada.",
			"numberOwn":          "That is one of our own numbers. Please enter the number where we can reach you.",
		},
		Answers: Answers{
			Yes:   []string{"yes", "yeah", "yep", "sure", "correct", "right", "this number", "okay", "ok"},
			No:    []string{"different", "another", "other", "new number", "no", "nope", "wrong"},
			Back:  []string{"menu", "go back", "start over"},
			Hints: "yes, no, use this number, a different number, main menu",
		},
		Distress: Distress{
			Crisis: []string{"suicid*", "kill myself", "killing myself", "hurt myself", "hurting myself", "harm myself",
				"harming myself", "self harm", "end my life", "ending my life", "take my life", "take my own life",
				"want to die", "better off dead", "crisis", "emergency", "overdose*", "overdosing", "od'd"},
			Plea:      []string{"help", "i need help", "help me", "please help", "please help me", "need help"},
			Therapist: []string{"my therapist", "therapist", "my counselor", "my counsellor", "my psychologist", "my psychiatrist", "a message for", "message for doctor", "doctor", "dr"},
		},
		// The speaking rate config check has always used for English.
		WordsPerMinute: 150,
		DistressSample: "I'm having thoughts of suicide",
		opening:        openingEN,
	}
}

// openingEN says an opening days days after today: "today at 1 PM",
// "tomorrow at 8 AM", "Monday at 8 AM" within the week, and "Monday,
// January 5 at 8 AM" beyond it.
func openingEN(t time.Time, days int) string {
	clock := t.Format("3 PM")
	if t.Minute() != 0 {
		clock = t.Format("3:04 PM")
	}
	switch {
	case days <= 0:
		return "today at " + clock
	case days == 1:
		return "tomorrow at " + clock
	case days < 7:
		return t.Format("Monday") + " at " + clock
	}
	return t.Format("Monday, January 2") + " at " + clock
}
