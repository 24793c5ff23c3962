package routing

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
)

// WriteTree prints the line as an administrator reads it: hours, the main
// menu with where each option leads (information menus expanded),
// extensions and ring groups.
func (l *Line) WriteTree(w io.Writer) {
	fmt.Fprintf(w, "%s, main line %s, time zone %s\n", l.Practice, l.MainNumber, l.Schedule.Location)
	fmt.Fprintf(w, "Hours: %s; %d closed days listed\n", l.Schedule.Describe(), len(l.Schedule.Closed))
	fmt.Fprintf(w, "Every call: greeting, crisis line, (when closed) closed notice, then the main menu.\n")
	fmt.Fprintf(w, "After %d invalid or empty answers: ring %s when open, callback offer when closed.\n\n", l.MaxTries, l.Fallback)
	fmt.Fprintln(w, "Main menu (keys or speech; extensions can be dialled at any time):")
	l.writeOptions(w, l.Menu, "  ", map[string]bool{})
	if len(l.Extensions) > 0 {
		fmt.Fprintln(w, "\nExtensions:")
		for _, e := range l.Extensions {
			hours := "closed after hours: callback offer"
			if e.AfterHours {
				hours = "rings after hours too"
			}
			fmt.Fprintf(w, "  %s %s%s -> %s (%s)\n", e.Number, e.Name, sayList(e.Phrases), l.describeGroup(e.Group), hours)
		}
	}
	fmt.Fprintln(w, "\nRing groups:")
	names := make([]string, 0, len(l.Groups))
	for n := range l.Groups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		g := l.Groups[n]
		var members []string
		for _, m := range g.Members {
			members = append(members, m.Address)
		}
		fmt.Fprintf(w, "  %s: %s\n", l.describeGroup(n), strings.Join(members, ", "))
		for _, m := range g.Members {
			if hours, ok := g.DutyHours[m.Address]; ok {
				fmt.Fprintf(w, "    %s on duty %s (away outside unless they switch on)\n", m.Address, hours.Describe())
			}
		}
	}
	fmt.Fprintln(w, "  Members take calls unless they switch away (console, or a text OFF to the main number).")
	for _, lang := range l.Languages {
		v := l.In(lang.Code)
		fmt.Fprintf(w, "\nIn %s (press %s at any main menu%s; voice %s, %s; schedulers hear %q first):\n",
			lang.Name, lang.Key, sayList(lang.Phrases), v.Voice, v.LanguageTag, lang.CallerNote)
		fmt.Fprintf(w, "  offered at the start of the call: %q\n", lang.Offer)
		fmt.Fprintln(w, "  Main menu:")
		v.writeOptions(w, v.Menu, "    ", map[string]bool{})
		if len(v.Extensions) > 0 {
			fmt.Fprintln(w, "  Extensions:")
			for _, e := range v.Extensions {
				fmt.Fprintf(w, "    %s %s%s -> %s\n", e.Number, e.Name, sayList(e.Phrases), v.describeGroup(e.Group))
			}
		}
	}
}

func (l *Line) writeOptions(w io.Writer, options []Option, indent string, seen map[string]bool) {
	for _, o := range options {
		fmt.Fprintf(w, "%s%s%s -> %s\n", indent, o.Digit, sayList(o.Phrases), l.describeAction(o.Action))
		if o.Action.Kind == ActionInfo && !seen[o.Action.Target] {
			seen[o.Action.Target] = true
			l.writeOptions(w, l.Info[o.Action.Target].Options, indent+"    ", seen)
		}
	}
}

func (l *Line) describeAction(a Action) string {
	switch a.Kind {
	case ActionRing:
		return "ring " + l.describeGroup(a.Target) + " (callback offer when closed or unanswered)"
	case ActionInfo:
		return fmt.Sprintf("read %q, then:", l.Info[a.Target].Title)
	case ActionCallback:
		return "callback request"
	case ActionRepeat:
		return "repeat this menu"
	case ActionMenu:
		return "main menu"
	case ActionExtension:
		return "extension " + a.Target
	}
	return a.String()
}

func (l *Line) describeGroup(name string) string {
	g, ok := l.Groups[name]
	if !ok {
		return name + " (unknown group)"
	}
	how := "all at once"
	if g.Strategy == RingOrder {
		how = fmt.Sprintf("in order, %d s each", g.RingSeconds)
	}
	screen := ""
	if g.Screen {
		screen = ", screened as \"" + g.Title + "\""
	}
	if len(g.DutyHours) > 0 {
		screen += fmt.Sprintf(", duty hours for %d", len(g.DutyHours))
	}
	for _, code := range slices.Sorted(maps.Keys(g.Speakers)) {
		screen += fmt.Sprintf(", %s callers ring %d speaker(s) first", code, len(g.Speakers[code]))
	}
	return fmt.Sprintf("%s [%d member(s), %s, up to %d s%s]", name, len(g.Members), how, g.TotalRingSeconds(), screen)
}

func sayList(phrases []string) string {
	if len(phrases) == 0 {
		return ""
	}
	return ` "` + strings.Join(phrases, `", "`) + `"`
}
