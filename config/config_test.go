package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/routing"
)

func TestDefaultLoads(t *testing.T) {
	t.Parallel()
	l, err := config.LoadFile("")
	if err != nil {
		t.Fatalf("built-in default: %v", err)
	}
	if l.MainNumber != "+14258692644" {
		t.Errorf("MainNumber = %q, want +14258692644", l.MainNumber)
	}
	if l.Schedule.Location.String() != "America/Los_Angeles" {
		t.Errorf("time zone = %v", l.Schedule.Location)
	}
	g, ok := l.Groups["scheduling"]
	if !ok || len(g.Members) != 3 || !g.Screen {
		t.Errorf("scheduling group = %+v, want 3 screened members", g)
	}
	if _, ok := l.Info["groups"]; !ok {
		t.Error("no groups info message")
	}
	if c := l.Choose(l.Menu, "", "scheduling", true); c.Kind != routing.ChoiceOption || c.Option.Action.Target != "scheduling" {
		t.Errorf("saying scheduling chose %+v", c)
	}
	if _, ok := l.Groups["ext-201"]; !ok {
		t.Error("extension 201 with dial: did not get its own group")
	}
}

// mutate loads the default file with one line of YAML replaced.
func mutate(t *testing.T, old, replacement string) error {
	t.Helper()
	src := string(config.DefaultYAML())
	if !strings.Contains(src, old) {
		t.Fatalf("default.yaml has no %q", old)
	}
	_, err := config.Load("test.yaml", []byte(strings.Replace(src, old, replacement, 1)))
	return err
}

func TestValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		old, new    string
		wantPath    string
		wantMessage string
	}{
		{"duplicate digit", `digit: "9"
    say: [repeat`, `digit: "1"
    say: [repeat`, "menu[3].digit", `duplicate digit "1"`},
		{"extension shadows a digit", `number: "100"`, `number: "0"`, "extensions[0].number", `extension "0" is shadowed by menu[0].digit`},
		{"unknown ring group target", "    action: ring\n    target: scheduling\n  - digit: \"1\"", "    action: ring\n    target: nobody\n  - digit: \"1\"", "menu[0].target", `unknown ring group "nobody"`},
		{"unknown info target", "target: groups", "target: parties", "menu[1].target", `unknown info message "parties"`},
		{"unknown action", "action: callback\n  - digit: \"9\"", "action: voicemail\n  - digit: \"9\"", "menu[2].action", `unknown action "voicemail"`},
		{"member not E.164", `"+14255550102"`, `"425-555-0102"`, "ringGroups.scheduling.members[1]", "not an E.164 phone number"},
		{"invalid country code", `"+14255550102"`, `"+999123456789"`, "ringGroups.scheduling.members[1]", "not an E.164"},
		{"bad SIP URI", `"+14255550102"`, `"sip:nohost"`, "ringGroups.scheduling.members[1]", "not a SIP URI"},
		{"bad time zone", "timezone: America/Los_Angeles", "timezone: Pacific/Seattle", "timezone", "not a known time zone"},
		{"inverted hours", `monday: ["08:00-18:00"]`, `monday: ["18:00-08:00"]`, "hours.monday[0]", "closes before it opens"},
		{"overlapping hours", `monday: ["08:00-18:00"]`, `monday: ["08:00-12:00", "11:00-18:00"]`, "hours.monday[1]", "overlaps"},
		{"not a time", `monday: ["08:00-18:00"]`, `monday: ["8am-6pm"]`, "hours.monday[0]", "not a time"},
		{"not a day", `monday: ["08:00-18:00"]`, `mondy: ["08:00-18:00"]`, "hours.mondy", "not a day of the week"},
		{"empty ring group", `members: ["+14255550101", "+14255550102", "+14255550103"]`, `members: []`, "ringGroups.scheduling.members", "empty"},
		{"unbounded ring", "    maxRingSeconds: 25\n", "", "ringGroups.scheduling.maxRingSeconds", "limit on the total ring time"},
		{"ring too long", "maxRingSeconds: 25", "maxRingSeconds: 3600", "ringGroups.scheduling.maxRingSeconds", "between"},
		{"unknown strategy", "strategy: all", "strategy: random", "ringGroups.scheduling.strategy", "unknown strategy"},
		{"missing crisis line", "  crisis: In an", "  crisiss: In an", "", ""},
		{"crisis line without 988", "call or text 9 8 8", "call us", "prompts.crisis", "must name both 911 and 988"},
		{"greeting without the practice", "greeting: You've reached Evergreen Psychotherapy.", "greeting: Hello.", "prompts.greeting", "must name the practice"},
		{"main number not E.164", `mainNumber: "+14258692644"`, `mainNumber: "425-869-2644"`, "mainNumber", "not an E.164"},
		{"unknown fallback", "fallback: scheduling", "fallback: nobody", "fallback", `unknown ring group "nobody"`},
		{"unknown extension group", "    group: scheduling\n    afterHours", "    group: desk\n    afterHours", "extensions[0].group", `unknown ring group "desk"`},
		{"duplicate extension", `number: "201"`, `number: "100"`, "extensions[1].number", "duplicate extension"},
		{"phrase selects two options", "say: [repeat, options, menu]", "say: [repeat, options, scheduling]", "menu[3].say", `phrase "scheduling" also selects menu[0]`},
		{"bad holiday", "us: [new-year,", "us: [new-years-day,", "holidays.us[0]", "unknown holiday"},
		{"bad closure date", `date: "2026-12-24"`, `date: "24/12/2026"`, "holidays.dates[0].date", "not a date"},
		{"too many tries", "maxTries: 2", "maxTries: 50", "retries.maxTries", "between 1 and 10"},
		{"main menu returns to itself", "action: repeat\n\nextensions", "action: menu\n\nextensions", "menu[3].action", "cannot return to itself"},
		{"info without text", "    say: >-\n      Besides", "    sayy: >-\n      Besides", "", ""},
		{"unknown placeholder", "  greeting: You've", "  callbackReadBack: You entered {digits}.\n  greeting: You've", "prompts.callbackReadBack", "{digits} is not a placeholder"},
		{"placeholder in a prompt that takes none", "  greeting: You've", "  goodbye: Bye {name}.\n  greeting: You've", "prompts.goodbye", "it takes none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := mutate(t, tt.old, tt.new)
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			ce, ok := config.AsError(err)
			if !ok {
				t.Fatalf("error %v is not a *config.Error", err)
			}
			if tt.wantPath == "" {
				return // only that it is rejected; messages checked in other tests
			}
			for _, p := range ce.Problems {
				if p.Path == tt.wantPath && strings.Contains(p.Message, tt.wantMessage) {
					if p.Line == 0 {
						t.Errorf("problem %v has no line number", p)
					}
					return
				}
			}
			t.Errorf("no problem at %s containing %q; got:\n%v", tt.wantPath, tt.wantMessage, err)
		})
	}
}

// refusal is a change to the built-in configuration (old replaced by new)
// that loading must refuse with an error mentioning want.
type refusal struct{ name, old, new, want string }

// refusals checks each refusal in a subtest of its own.
func refusals(t *testing.T, tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := mutate(t, tt.old, tt.new)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestValidationNamesTheProblem(t *testing.T) {
	t.Parallel()
	tests := []refusal{
		{"one-digit extension", `number: "100"`, `number: "5"`, "not an extension of 2 to 6 digits"},
		{"missing crisis line", "  crisis: In an", "  crisiss: In an", "prompts.crisiss: unknown prompt"},
		{"info without text", "    say: >-\n      Besides", "    sayy: >-\n      Besides", "unknown field"},
		{"duty hours for a stranger", "    callerId: caller\n", "    callerId: caller\n    dutyHours:\n      \"+14255550199\":\n        monday: [\"08:00-12:00\"]\n", `ringGroups.scheduling.dutyHours.+14255550199: "+14255550199" is not one of the group's members`},
		{"duty hours on a bad day", "    callerId: caller\n", "    callerId: caller\n    dutyHours:\n      \"+14255550101\":\n        funday: [\"08:00-12:00\"]\n", `ringGroups.scheduling.dutyHours.+14255550101.funday: "funday" is not a day of the week`},
		{"duty hours that overlap", "    callerId: caller\n", "    callerId: caller\n    dutyHours:\n      \"+14255550101\":\n        monday: [\"08:00-12:00\", \"11:00-13:00\"]\n", "overlaps"},
	}
	refusals(t, tests)
}

func TestValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	doc := `
practice: Test Clinic
mainNumber: "+14258692644"
timezone: America/Los_Angeles
prompts:
  greeting: Welcome to Test Clinic.
fallback: desk
menu:
  - {digit: "1", say: [desk], label: For the desk, action: ring, target: desk}
  - {digit: "1", say: [info], label: For info, action: info, target: nope}
extensions:
  - {number: "1", name: Shadow, group: desk}
ringGroups:
  desk: {members: ["+14255550101"], ringSeconds: 20}
`
	_, err := config.Load("test.yaml", []byte(doc))
	ce, ok := config.AsError(err)
	if !ok {
		t.Fatalf("Load error = %v, want *config.Error", err)
	}
	want := []string{
		"prompts.crisis: the crisis line is required",
		`menu[1].digit: duplicate digit "1"`,
		`menu[1].target: unknown info message "nope"`,
		`extensions[0].number: "1" is not an extension`,
		`extensions[0].number: extension "1" is shadowed by menu[0].digit`,
		"ringGroups.desk.maxRingSeconds: set a limit",
	}
	msg := ce.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not contain %q:\n%s", w, msg)
		}
	}
	if !strings.Contains(msg, "line 10: menu[1].digit") {
		t.Errorf("error does not give the line of menu[1].digit:\n%s", msg)
	}
}

func TestCrisisLineSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		crisis string
		ok     bool
	}{
		{"In an emergency call 911. In crisis call or text 988.", true},
		{"In an emergency call 9 1 1. In crisis call or text 9-8-8.", true},
		{"In an emergency call 9.1.1; for crisis, 9 8 8.", true},
		{"In an emergency call 911.", false},
		{"Call 9111 or 19880.", false},
	}
	for _, tt := range tests {
		const old = "  crisis: In an emergency, call 9 1 1. In a crisis, call or text 9 8 8.\n"
		if !strings.Contains(string(config.DefaultYAML()), old) {
			t.Fatalf("default.yaml has no %q", old)
		}
		doc := strings.Replace(string(config.DefaultYAML()), old, "  crisis: \""+tt.crisis+"\"\n", 1)
		_, err := config.Load("test.yaml", []byte(doc))
		if got := err == nil; got != tt.ok {
			t.Errorf("crisis %q accepted = %v, want %v (err: %v)", tt.crisis, got, tt.ok, err)
		}
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "line.yaml")
	if err := os.WriteFile(path, config.DefaultYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadFile(path); err != nil {
		t.Errorf("LoadFile(default copy): %v", err)
	}
	_, err := config.LoadFile(filepath.Join(dir, "missing.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want a not-exist error", err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		wantErr   string
		wantAddr  string
		wantURL   string
		loopback  bool
		localMode bool
	}{
		{name: "defaults", env: nil, wantAddr: "127.0.0.1:8080", wantURL: "http://127.0.0.1:8080", loopback: true, localMode: true},
		{name: "public URL trailing slash", env: map[string]string{"SWITCHBOARD_PUBLIC_URL": "https://phone.example.org/", "TWILIO_AUTH_TOKEN": "x"}, wantAddr: "127.0.0.1:8080", wantURL: "https://phone.example.org", loopback: true},
		{name: "all interfaces", env: map[string]string{"SWITCHBOARD_ADDR": ":8080", "TWILIO_AUTH_TOKEN": "x"}, wantAddr: ":8080", wantURL: "http://127.0.0.1:8080"},
		{name: "localhost", env: map[string]string{"SWITCHBOARD_ADDR": "localhost:9000"}, wantAddr: "localhost:9000", wantURL: "http://localhost:9000", loopback: true, localMode: true},
		{name: "ipv6 loopback", env: map[string]string{"SWITCHBOARD_ADDR": "[::1]:9000"}, wantAddr: "[::1]:9000", wantURL: "http://[::1]:9000", loopback: true, localMode: true},
		{name: "bad addr", env: map[string]string{"SWITCHBOARD_ADDR": "8080"}, wantErr: "SWITCHBOARD_ADDR"},
		{name: "public URL with a path", env: map[string]string{"SWITCHBOARD_PUBLIC_URL": "https://x.org/twilio"}, wantErr: "SWITCHBOARD_PUBLIC_URL"},
		{name: "bad log format", env: map[string]string{"SWITCHBOARD_LOG_FORMAT": "xml"}, wantErr: "SWITCHBOARD_LOG_FORMAT"},
		{name: "bad redis timeout", env: map[string]string{"SWITCHBOARD_REDIS_TIMEOUT": "forever"}, wantErr: "SWITCHBOARD_REDIS_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := config.FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromEnv error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if e.Addr != tt.wantAddr || e.PublicURL != tt.wantURL {
				t.Errorf("Addr, PublicURL = %q, %q; want %q, %q", e.Addr, e.PublicURL, tt.wantAddr, tt.wantURL)
			}
			if e.LoopbackOnly() != tt.loopback || e.LocalMode() != tt.localMode {
				t.Errorf("LoopbackOnly, LocalMode = %v, %v; want %v, %v", e.LoopbackOnly(), e.LocalMode(), tt.loopback, tt.localMode)
			}
		})
	}
}

func TestEnvStringMasksSecrets(t *testing.T) {
	t.Parallel()
	e, err := config.FromEnv(func(k string) string {
		return map[string]string{"TWILIO_AUTH_TOKEN": "supersecrettoken", "REDIS_URL": "redis://user:hunter2@10.0.0.5:6379/0"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s := e.String()
	for _, secret := range []string{"supersecrettoken", "hunter2"} {
		if strings.Contains(s, secret) {
			t.Errorf("Env.String() leaks %q: %s", secret, s)
		}
	}
}

// TestEarlierConfigurationsStayValid loads the built-in file as it was
// before the caller's-call changes (testdata/v1-default.yaml): files written
// for it must keep working.
func TestEarlierConfigurationsStayValid(t *testing.T) {
	t.Parallel()
	line, err := config.LoadFile("testdata/v1-default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if line.MaxTries != 3 || line.Menu[0].Digit != "0" || line.Callback.MessageSeconds() != 119 {
		t.Errorf("loaded: tries %d, first option %s, message %d s", line.MaxTries, line.Menu[0].Digit, line.Callback.MessageSeconds())
	}
	if line.Menu[0].ClosedLabel == "" {
		t.Errorf("a ring option without closedLabel gets no honest after-hours label")
	}
}

func TestReplicaRule(t *testing.T) {
	t.Parallel()
	sentinel := "redis://127.0.0.1:26379?master_name=sb"
	tests := []struct {
		name     string
		env      map[string]string
		wantErr  string
		replicas int
		wait     time.Duration
	}{
		{name: "embedded", env: nil, replicas: 0, wait: 100 * time.Millisecond},
		{name: "one server", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/0"}, replicas: 0, wait: 100 * time.Millisecond},
		{name: "sentinel waits for one replica", env: map[string]string{"REDIS_URL": sentinel}, replicas: 1, wait: 100 * time.Millisecond},
		{name: "sentinel opted out", env: map[string]string{"REDIS_URL": sentinel, "SWITCHBOARD_REDIS_REPLICAS": "0"}, replicas: 0, wait: 100 * time.Millisecond},
		{name: "primary with two replicas", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/0", "SWITCHBOARD_REDIS_REPLICAS": "2", "SWITCHBOARD_REDIS_REPLICA_WAIT": "80ms"}, replicas: 2, wait: 80 * time.Millisecond},
		{name: "short redis timeout shortens the wait", env: map[string]string{"REDIS_URL": sentinel, "SWITCHBOARD_REDIS_TIMEOUT": "150ms"}, replicas: 1, wait: 50 * time.Millisecond},
		{name: "replicas without redis", env: map[string]string{"SWITCHBOARD_REDIS_REPLICAS": "1"}, wantErr: "embedded store has no replicas"},
		{name: "bad count", env: map[string]string{"REDIS_URL": sentinel, "SWITCHBOARD_REDIS_REPLICAS": "many"}, wantErr: "SWITCHBOARD_REDIS_REPLICAS"},
		{name: "wait past the redis timeout", env: map[string]string{"REDIS_URL": sentinel, "SWITCHBOARD_REDIS_REPLICA_WAIT": "2s"}, wantErr: "shorter than SWITCHBOARD_REDIS_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := config.FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromEnv error = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.RedisReplicas != tt.replicas || e.RedisReplicaWait != tt.wait {
				t.Errorf("replicas, wait = %d, %v; want %d, %v", e.RedisReplicas, e.RedisReplicaWait, tt.replicas, tt.wait)
			}
		})
	}
}

// TestSpanishIsCompleteOrRefused: once a second language is configured,
// every sentence the call flow can say must exist in it, naming the field.
func TestSpanishIsCompleteOrRefused(t *testing.T) {
	t.Parallel()
	tests := []refusal{
		// Spanish is built in; a language that is not needs every sentence.
		{"a missing prompt", "  es:\n    name: Spanish\n    voice: Polly.Lupe-Neural\n    language: es-US", "  fr:\n    name: French\n    voice: Polly.Lea-Neural\n    language: fr-FR", "languages.fr.prompts.noInput: missing in this language"},
		{"a crisis line without 988", "llame al 9 8 8, opción 2 en español.", "llame a su médico.", "languages.es.prompts.crisis: the crisis line must name both 911 and 988"},
		{"a missing menu label", "        label: Para citas\n", "", "languages.es.menu (digit 0).label: missing in this language"},
		{"a missing closed label", "        closedLabel: Para solicitudes\n      - digit: \"1\"\n        say: [grupos", "      - digit: \"1\"\n        say: [grupos", "languages.es.menu (digit 0).closedLabel: missing"},
		{"a missing group message", "      groups:\n        title: Terapia de grupo", "      grupos:\n        title: Terapia de grupo", "languages.es.info.groups: the information message \"groups\" is missing"},
		{"a key that is a menu key", `    key: "8"`, `    key: "9"`, "languages.es.key: key 9 is menu[3]'s key"},
		{"an English recogniser", "    language: es-US", "    language: en-US", `languages.es.language: "en-US" is not a es language tag`},
		{"an extension without its name", "        name: facturación\n", "", "extension 201 needs its name in this language"},
		{"a placeholder it does not take", "greeting: Ha llamado a Evergreen Psychotherapy.", "greeting: Ha llamado a Evergreen Psychotherapy {numero}.", "{numero} is not a placeholder"},
	}
	refusals(t, tests)
}

// TestSpanishView: the built-in line carries Spanish, matched to the
// English menu by digit, with Spanish closure names and the same groups.
func TestSpanishView(t *testing.T) {
	t.Parallel()
	line, err := config.LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	es := line.In("es")
	if es == line || es.LanguageCode != "es" || es.LanguageTag != "es-US" || es.Voice != "Polly.Lupe-Neural" || es.Version != line.Version {
		t.Fatalf("Spanish view: lang %q language %q voice %q version %q", es.LanguageCode, es.LanguageTag, es.Voice, es.Version)
	}
	if line.In("fr") != line || es.In("en") != line || es.Staff() != line {
		t.Error("In and Staff do not lead back to the English line")
	}
	if len(es.Menu) != len(line.Menu) || es.Menu[0].Action != line.Menu[0].Action || es.Menu[0].Label != "Para citas" {
		t.Errorf("Spanish menu: %+v", es.Menu)
	}
	names := map[string]string{}
	for _, c := range es.Schedule.Closed {
		names[c.Key] = c.Name
	}
	if names["thanksgiving"] != "el Día de Acción de Gracias" || names["2026-12-24"] != "Nochebuena" {
		t.Errorf("Spanish closure names: %v", names)
	}
	// The file gives the greeting and the crisis line; the rest is the
	// built-in Spanish, and the schedulers' whisper stays English.
	if es.Prompts.Greeting != "Ha llamado a Evergreen Psychotherapy." || es.Prompts.NoInput != "No escuché ninguna respuesta." ||
		es.Prompts.ConsentName != "¿Podemos mencionar el nombre de Evergreen Psychotherapy en ese mensaje? Oprima 1 o diga sí; oprima 2 o diga no." ||
		es.Prompts.Whisper != line.Prompts.Whisper {
		t.Errorf("Spanish prompts: greeting %q, noInput %q, consentName %q, whisper %q", es.Prompts.Greeting, es.Prompts.NoInput, es.Prompts.ConsentName, es.Prompts.Whisper)
	}
	changed, err := config.Load("test.yaml", []byte(strings.Replace(string(config.DefaultYAML()), "      greeting: Ha llamado", "      noInput: No oí nada.\n      greeting: Ha llamado", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := changed.In("es").Prompts.NoInput; got != "No oí nada." {
		t.Errorf("a Spanish prompt in the file: %q, want it to replace the built-in one", got)
	}
	if lang, ok := line.LanguageChosen("8", ""); !ok || lang.Code != "es" {
		t.Error("8 does not choose Spanish")
	}
	if _, ok := line.LanguageChosen("", "I don't speak Spanish well, scheduling please"); ok {
		// "spanish" is a phrase; negation keeps it from choosing.
		t.Error("a negated 'Spanish' chose Spanish")
	}
	if _, ok := line.LanguageChosen("", "español"); !ok {
		t.Error("'español' does not choose Spanish")
	}
}

// TestSpanishMenuIsNeverTheEnglishText: an English menu written as one
// prompt does not leak into Spanish calls; without its own, Spanish reads
// its labels.
func TestSpanishMenuIsNeverTheEnglishText(t *testing.T) {
	t.Parallel()
	src := strings.Replace(string(config.DefaultYAML()), "prompts:\n  greeting:", "prompts:\n  menu: For scheduling, press 0.\n  greeting:", 1)
	line, err := config.Load("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if line.Prompts.Menu != "For scheduling, press 0." {
		t.Fatalf("English menu = %q", line.Prompts.Menu)
	}
	es := line.In("es")
	if es.Prompts.Menu != "" || !strings.HasPrefix(es.MenuSentences(true)[0], "Para citas, oprima 0") {
		t.Errorf("Spanish menu = %q, sentences %q", es.Prompts.Menu, es.MenuSentences(true))
	}
}

// TestCrisisSettings: the crisis block defaults to the fallback group and
// the Lifeline's 10-digit number, refuses an unknown group or a bad number,
// and adds phrases without removing the built-in ones.
func TestCrisisSettings(t *testing.T) {
	t.Parallel()
	line, err := config.LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	if line.Crisis.RingGroup != "scheduling" || line.Crisis.Lifeline != "+18002738255" {
		t.Errorf("defaults: %+v", line.Crisis)
	}
	if !line.InCrisis("suicidal") || !line.In("es").InCrisis("tengo pensamientos suicidas") {
		t.Error("the built-in phrases are missing")
	}
	for _, tt := range []struct{ name, block, want string }{
		{"unknown group", "crisis:\n  ringGroup: nobody\n", "crisis.ringGroup: unknown ring group"},
		{"bad lifeline", "crisis:\n  lifeline: \"988\"\n", "crisis.lifeline"},
		{"empty phrase", "crisis:\n  say: [\"!\"]\n", "crisis.say[0]: empty phrase"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load("test.yaml", append(config.DefaultYAML(), []byte("\n"+tt.block)...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
	more, err := config.Load("test.yaml", append(config.DefaultYAML(), []byte("\ncrisis:\n  say: [can't go on]\n  lifeline: \"+18002738255\"\n")...))
	if err != nil {
		t.Fatal(err)
	}
	if !more.InCrisis("I can't go on") || !more.InCrisis("suicide") {
		t.Error("a configured phrase does not add to the built-in ones")
	}
}

// TestVoices: voice names are checked against the voices Twilio documents,
// in the language they are given for, HIPAA-eligible unless accepted; and a
// prompt's SSML must be well formed.
func TestVoices(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, old, new, want string }{
		{"a typo", "voice: Polly.Joanna-Neural\n", "voice: Poly.Joana\n", `"Poly.Joana" is not a voice Twilio documents (did you mean Polly.Joanna?)`},
		{"an engine the voice lacks", "voice: Polly.Joanna-Neural\n", "voice: Polly.Kevin\n", "has no standard engine"},
		{"a voice in another language", "voice: Polly.Joanna-Neural\n", "voice: Polly.Mia-Neural\n", "speaks es-MX, not en-US"},
		{"a Google voice", "voice: Polly.Joanna-Neural\n", "voice: Google.en-US-Neural2-F\n", "not among Twilio's HIPAA-eligible voices"},
		{"a Spanish typo", "    voice: Polly.Lupe-Neural\n", "    voice: Polly.Lupa\n", `languages.es.voice: "Polly.Lupa"`},
		{"a break without a time", "  greeting: You've reached", "  greeting: <break/> You've reached", "an SSML element left open"},
		{"a prosody with a bad rate", "  greeting: You've reached", "  greeting: <prosody rate=\"warp\">Hi</prosody> You've reached", "prosody takes only a valid rate"},
		{"a speaker who is not a member", "      es: [\"+14255550102\"]\n", "      es: [\"+14255550199\"]\n", `ringGroups.scheduling.speaks.es[0]: "+14255550199" is not one of the group's members`},
		{"a closure named only in English", "      \"2026-12-31\": la víspera de Año Nuevo\n", "", `name the closure 2026-12-31 ("New Year's Eve") in this language`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := string(config.DefaultYAML())
			if !strings.Contains(src, tt.old) {
				t.Fatalf("default.yaml has no %q", tt.old)
			}
			_, err := config.Load("test.yaml", []byte(strings.Replace(src, tt.old, tt.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
	accepted := strings.Replace(string(config.DefaultYAML()), "voice: Polly.Joanna-Neural\n", "voice: Google.en-US-Neural2-F\nacceptNonHipaaVoices: true\n", 1)
	if _, err := config.Load("test.yaml", []byte(accepted)); err != nil {
		t.Errorf("an accepted Google voice: %v", err)
	}
	for _, v := range []string{"Polly.Joanna", "Polly.Joanna-Neural", "alice"} {
		if _, err := config.Load("test.yaml", []byte(strings.Replace(string(config.DefaultYAML()), "voice: Polly.Joanna-Neural\n", "voice: "+v+"\n", 1))); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}
