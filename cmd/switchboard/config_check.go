package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
	"github.com/switchboard-clinic/switchboard/routing"
)

// configCmd runs "switchboard config check [FILE]": the problems, or the menu
// tree when there are none. FILE defaults to SWITCHBOARD_CONFIG, then the
// built-in configuration.
func configCmd(args []string, getenv func(string) string, stdout io.Writer) error {
	usage := &exitError{code: 2, err: fmt.Errorf("usage: switchboard config check [--at TIME] [FILE]")}
	if len(args) == 0 || args[0] != "check" {
		return usage
	}
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	at := fs.String("at", "", "walk the calls from this time (the practice's zone), not now")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 1 {
		return usage
	}
	env, err := config.SimulatorFromEnv(getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	path := env.ConfigPath
	if fs.NArg() == 1 {
		path = fs.Arg(0)
	}
	line, err := config.LoadFile(path)
	if err != nil {
		if ce, ok := config.AsError(err); ok {
			fmt.Fprintln(stdout, ce.Error())
			return &exitError{code: 1, err: fmt.Errorf("configuration has %d problem(s)", len(ce.Problems))}
		}
		return err
	}
	// What a closed caller hears depends on when they call ("we reopen
	// tomorrow" or "on Monday"): --at makes a check repeatable.
	start := time.Now()
	if *at != "" {
		if start, err = parseAt(*at, line.Schedule.Location); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	source := path
	if source == "" {
		source = "built-in default"
	}
	fmt.Fprintf(stdout, "%s: OK\n\n", source)
	line.WriteTree(stdout)
	for _, w := range speakerWarnings(line) {
		fmt.Fprintln(stdout, "\nWARNING: "+w)
	}
	return walkConfig(path, line, start, stdout)
}

// The limits a line must keep (see "What a good call sounds like" in the
// product notes).
const (
	maxWordsToScheduling = 45  // ~18 s at 150 words a minute
	maxUnhelpfulSeconds  = 190 // about three minutes, for a caller who never answers
	maxRingsPerGroup     = 2
)

// walkConfig runs the real handlers in process over every path of the menu
// tree, when open and when closed, with and without caller ID, and reports
// every path that ends in silence, errors, or loops; it measures how soon
// each main-menu option is announced and how long a caller who says nothing
// (or presses only wrong keys) stays on the line, and fails a line that
// breaks the limits.
func walkConfig(path string, line *routing.Line, start time.Time, stdout io.Writer) error {
	keys := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "12", "4255550199"}
	for _, e := range line.Extensions {
		keys = append(keys, e.Number)
	}
	wrong := wrongKey(line)
	// The line's own language from every start, then each other language
	// from the state a caller is in once they chose it (the first walk
	// reaches it too, through its key).
	type walk struct {
		heading, query string
		view           *routing.Line
		froms          []string
		errs, byes     []string
		refusals       []string
		distress       []string
		where          func(from string) string // names the walk in problems
		// before are the words a caller hears in the line's own language
		// before choosing this one: counted, since scheduling must come
		// within 45 words of the start of the call.
		before int
	}
	var allRefusals []string
	for _, v := range line.Views() {
		allRefusals = append(allRefusals, refusalTexts(v.Prompts)...)
	}
	walks := []walk{{heading: "What a caller hears", view: line, froms: []string{"+12065550100", "anonymous"},
		errs:     line.PromptIn(func(p routing.Prompts) string { return p.Apology }),
		byes:     line.PromptIn(func(p routing.Prompts) string { return p.Crisis }),
		refusals: allRefusals, distress: []string{distressSentence(line.LanguageCode)},
		where: func(from string) string { return "from " + from }}}
	before := 0
	for _, lang := range line.Languages {
		view := line.In(lang.Code)
		before += simulate.Words(lang.Offer) // the offers come first; a caller takes this one after hearing it
		walks = append(walks, walk{heading: "What a caller hears in " + lang.Name + " (words counted from the start of the call)", query: "?l=" + lang.Code, view: view, before: before,
			froms: []string{"+12065550100"}, errs: []string{view.Prompts.Apology}, byes: []string{view.Prompts.Crisis},
			refusals: refusalTexts(view.Prompts), distress: []string{distressSentence(lang.Code)},
			where: func(string) string { return "in " + lang.Name }})
	}
	var problems []string
	total := 0
	for _, w := range walks {
		fmt.Fprintf(stdout, "\n%s:\n", w.heading)
		var sum summary
		for _, at := range walkTimes(line, start) {
			for _, from := range w.froms {
				transport, voice, to, stop, err := inProcess(path, line, at.t)
				if err != nil {
					return err
				}
				x := &simulate.Explorer{MaxSteps: 60000, WordsPerMinute: wordsPerMinute(w.view.LanguageCode), Transport: transport, VoiceURL: voice + w.query, From: from, To: to, Keys: keys,
					WrongKey: wrong, ErrorTexts: w.errs, FarewellTexts: w.byes,
					Crisis: w.distress, CrisisTexts: w.byes, RefusalTexts: w.refusals}
				rep, err := x.Explore(context.Background())
				stop()
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s, %s: %v", at.name, w.where(from), err))
					continue
				}
				total += rep.Steps
				for k := range rep.OptionWords {
					rep.OptionWords[k] += w.before
				}
				for _, f := range rep.Findings {
					problems = append(problems, fmt.Sprintf("%s, %s: %s (after: %s)", at.name, w.where(from), f.Problem, f.Trail))
				}
				if from != "anonymous" {
					problems = append(problems, describeCall(stdout, w.view, at.name, rep)...)
					sum.add(at.name, schedulingDigit(w.view), rep)
				}
			}
		}
		sum.write(stdout)
		problems = append(problems, infoLengths(stdout, w.view)...)
	}
	fmt.Fprintf(stdout, "\nWalked every path (%d webhooks through the real handlers, open and closed, with and without caller ID, in every language): ", total)
	if len(problems) == 0 {
		fmt.Fprintln(stdout, "no dead ends, no loops, every caller who stops answering is told goodbye, within the limits.")
		return nil
	}
	fmt.Fprintf(stdout, "%d problem(s)\n", len(problems))
	for _, p := range problems {
		fmt.Fprintln(stdout, "  "+p)
	}
	return &exitError{code: 1, err: fmt.Errorf("the call flow has %d problem(s)", len(problems))}
}

// speakerWarnings names each language the line offers that no member of
// the group its callers ring for scheduling speaks: they reach whoever
// answers.
func speakerWarnings(line *routing.Line) []string {
	var out []string
	for _, lang := range line.Languages {
		view := line.In(lang.Code)
		if _, ok := view.Groups[view.Fallback].SpeakersOf(lang.Code); !ok {
			out = append(out, fmt.Sprintf("the line offers %s, but no member of %q is marked as speaking it (ringGroups.%s.speaks.%s): %s-speaking callers reach whoever answers", lang.Name, view.Fallback, view.Fallback, lang.Code, lang.Name))
		}
	}
	return out
}

// maxInfoSeconds bounds an information message (the group message): a
// caller waits through it before hearing the options again.
const maxInfoSeconds = 45

// infoLengths prints how long each information message of a language takes
// to say and returns those over maxInfoSeconds.
func infoLengths(w io.Writer, view *routing.Line) []string {
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(view.Info)) {
		msg := view.Info[id]
		if msg.Say == "" {
			continue
		}
		secs := secondsIn(simulate.Words(msg.Say), view.LanguageCode)
		fmt.Fprintf(w, "  the %q message: %.0f s (%d words)\n", msg.Title, secs, simulate.Words(msg.Say))
		if secs > maxInfoSeconds {
			problems = append(problems, fmt.Sprintf("the %q message (%s) takes %.0f s to say; at most %d", msg.Title, view.LanguageName, secs, maxInfoSeconds))
		}
	}
	return problems
}

// describeCall prints the measurements of one walk and returns the limits
// it breaks.
func describeCall(w io.Writer, line *routing.Line, when string, rep *simulate.Report) []string {
	var problems []string
	fmt.Fprintf(w, "  %s:\n", when)
	var parts []string
	for _, o := range line.Menu {
		if n, ok := rep.OptionWords[o.Digit]; ok {
			parts = append(parts, fmt.Sprintf("%s after %d words (%.0f s)", o.Digit, n, secondsIn(n, line.LanguageCode)))
		}
	}
	fmt.Fprintf(w, "    options announced: %s\n", strings.Join(parts, ", "))
	sched := schedulingDigit(line)
	if n, ok := rep.OptionWords[sched]; !ok {
		problems = append(problems, fmt.Sprintf("%s: the first prompt never says how to reach scheduling (press %s)", when, sched))
	} else if n > maxWordsToScheduling {
		problems = append(problems, fmt.Sprintf("%s: scheduling (press %s) is announced after %d spoken words; at most %d (about %.0f s)", when, sched, n, maxWordsToScheduling, seconds(maxWordsToScheduling)))
	}
	for _, e := range []struct {
		who string
		end simulate.Ending
	}{{"a caller who says nothing", rep.Silent}, {"a caller who presses only wrong keys", rep.Wrong}} {
		rings := ringList(e.end.Rings)
		fmt.Fprintf(w, "    %s: %s on the line, %d webhooks, rings %s, %s\n", e.who, clock(e.end.Seconds), e.end.Webhooks, rings, endWord(e.end))
		if e.end.Seconds > maxUnhelpfulSeconds {
			problems = append(problems, fmt.Sprintf("%s: %s stays on the line %s; at most %s", when, e.who, clock(e.end.Seconds), clock(maxUnhelpfulSeconds)))
		}
		for g, n := range e.end.Rings {
			if n > maxRingsPerGroup {
				problems = append(problems, fmt.Sprintf("%s: %s rings %s %d times; at most %d", when, e.who, g, n, maxRingsPerGroup))
			}
		}
	}
	fmt.Fprintf(w, "    %s\n", crisisLine(rep.Crisis))
	return problems
}

// crisisLine says how the distress sentences were answered in one walk
// (each failure is a finding of its own).
func crisisLine(c simulate.CrisisReport) string {
	var ways []string
	for way, n := range c.Responses {
		ways = append(ways, fmt.Sprintf("%s %d×", way, n))
	}
	sort.Strings(ways)
	if len(ways) == 0 {
		ways = []string{"none"}
	}
	return fmt.Sprintf("crisis response from %d of %d speech prompts: %s", c.Passed, c.Prompts, strings.Join(ways, ", "))
}

// summary is one language's measurements over open and closed: the most
// words before scheduling, the longest silent call, the crisis responses.
type summary struct {
	words           int
	silent          float64
	silentAt        string
	wordsWhen       string
	passed, prompts int
	ways            map[string]bool
}

func (s *summary) add(when, sched string, rep *simulate.Report) {
	if n, ok := rep.OptionWords[sched]; ok && n >= s.words {
		s.words, s.wordsWhen = n, when
	}
	if rep.Silent.Seconds >= s.silent {
		s.silent, s.silentAt = rep.Silent.Seconds, when
	}
	s.passed += rep.Crisis.Passed
	s.prompts += rep.Crisis.Prompts
	if s.ways == nil {
		s.ways = map[string]bool{}
	}
	for way := range rep.Crisis.Responses {
		s.ways[way] = true
	}
}

func (s *summary) write(w io.Writer) {
	ways := make([]string, 0, len(s.ways))
	for way := range s.ways {
		ways = append(ways, way)
	}
	sort.Strings(ways)
	if len(ways) == 0 {
		ways = []string{"none"}
	}
	fmt.Fprintf(w, "  in all: scheduling announced after at most %d words, %s; longest silent call %s, %s; crisis response from %d of %d speech prompts: %s\n",
		s.words, s.wordsWhen, clock(s.silent), s.silentAt, s.passed, s.prompts, strings.Join(ways, ", "))
}

func seconds(words int) float64 { return secondsIn(words, "en") }

// secondsIn is how long words take to say in a language (by code).
func secondsIn(words int, lang string) float64 { return float64(words) * 60 / wordsPerMinute(lang) }

// wordsPerMinute is a language's speaking rate (routing.Builtin), English's
// when unknown: measured with espeak-ng at the same nominal speed (-s 150)
// on the built-in group message, 98 English words in 39.2 s and 108 Spanish
// words in 47.8 s. Spanish words are longer, so a Spanish caller hears fewer
// of them a minute.
func wordsPerMinute(lang string) float64 {
	b, _ := routing.BuiltinIn(routing.LanguageCode(lang))
	return b.WordsPerMinute
}

func clock(secs float64) string {
	s := int(secs + 0.5)
	return fmt.Sprintf("%d min %02d s", s/60, s%60)
}

func ringList(r map[string]int) string {
	if len(r) == 0 {
		return "nobody"
	}
	var parts []string
	for g, n := range r {
		parts = append(parts, fmt.Sprintf("%s %d×", g, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func endWord(e simulate.Ending) string {
	if e.Goodbye {
		return "ends with the crisis line, a goodbye and a hangup"
	}
	return "PROBLEM: " + e.Problem
}

// refusalTexts are the sentences with which a line turns an answer down:
// a key that is no option, speech it did not understand, an extension that
// does not exist (the longest text beside its {digits}).
func refusalTexts(p routing.Prompts) []string {
	out := []string{p.Invalid}
	if p.NotUnderstood != "" {
		out = append(out, p.NotUnderstood)
	}
	ext := ""
	for _, part := range strings.Split(p.NoExtension, "{digits}") {
		if part = strings.TrimSpace(part); len(part) > len(ext) {
			ext = part
		}
	}
	if ext != "" {
		out = append(out, ext)
	}
	return out
}

// distressSentence is what config check says, in a language (by its code,
// "en-US" or "es"), where a caller can speak: the flow must answer with the
// crisis line. English when the language is not built in.
func distressSentence(lang string) string {
	code, _, _ := strings.Cut(strings.ToLower(lang), "-")
	b, _ := routing.BuiltinIn(code)
	return b.DistressSample
}

// schedulingDigit is the main-menu key that rings the fallback group.
func schedulingDigit(line *routing.Line) string {
	for _, o := range line.Menu {
		if o.Action.Kind == routing.ActionRing && o.Action.Target == line.Fallback {
			return o.Digit
		}
	}
	return "0"
}

// wrongKey is a key no menu of the line uses.
func wrongKey(line *routing.Line) string {
	used := map[string]bool{"1": true, "2": true} // the callback flow's yes and no
	for _, o := range line.Menu {
		used[o.Digit] = true
	}
	for _, in := range line.Info {
		for _, o := range in.Options {
			used[o.Digit] = true
		}
	}
	for _, k := range []string{"7", "8", "6", "5", "4", "3"} {
		if !used[k] {
			return k
		}
	}
	return "#"
}

type namedTime struct {
	name string
	t    time.Time
}

// walkTimes finds an instant when the practice is open and one when it is
// closed, in the two weeks from start.
func walkTimes(line *routing.Line, start time.Time) []namedTime {
	var out []namedTime
	start = start.Truncate(30 * time.Minute)
	var haveOpen, haveClosed bool
	for t := start; t.Before(start.Add(14*24*time.Hour)) && !(haveOpen && haveClosed); t = t.Add(30 * time.Minute) {
		open := line.OpenAt(t)
		if open && !haveOpen {
			out, haveOpen = append(out, namedTime{"open (" + t.In(line.Schedule.Location).Format("Mon 15:04") + ")", t}), true
		}
		if !open && !haveClosed {
			out, haveClosed = append(out, namedTime{"closed (" + t.In(line.Schedule.Location).Format("Mon 15:04") + ")", t}), true
		}
	}
	return out
}
