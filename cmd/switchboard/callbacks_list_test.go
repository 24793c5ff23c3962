package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/api"
	"github.com/switchboard-clinic/switchboard/internal/callback"
)

// TestListMarksUrgentRows: the REASON column says URGENT for a request the
// API marks urgent, and only for it.
func TestListMarksUrgentRows(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	view := func(id string, reason callback.Reason) *api.View {
		return &api.View{Request: callback.Request{ID: id, Status: callback.StatusPending, Reason: reason, CreatedAt: now.Add(-time.Hour)},
			CallbackNumberLast4: "0142", Urgent: reason.Urgent()}
	}
	var out bytes.Buffer
	printList(&out, []*api.View{view("A1", callback.ReasonCrisis), view("B2", callback.ReasonTherapist), view("C3", callback.ReasonMenu)}, now)
	rows := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = line
		}
	}
	tests := []struct {
		id, want, notWant string
	}{
		{"A1", "URGENT crisis", ""},
		{"B2", "therapist", "URGENT"},
		{"C3", "menu", "URGENT"},
	}
	for _, tt := range tests {
		row := rows[tt.id]
		if !strings.Contains(row, tt.want) || (tt.notWant != "" && strings.Contains(row, tt.notWant)) {
			t.Errorf("row %s = %q; want %q in it, and no %q", tt.id, row, tt.want, tt.notWant)
		}
	}
}

// TestShowEscapesNotes: what staff typed is printed escaped, so a note
// cannot forge a history line or send escape codes to another terminal.
func TestShowEscapesNotes(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, note, want string
	}{
		{"a forged history line", "booked\n  2026-11-30T18:05:00Z  ana        number revealed", `booked\n  2026-11-30T18:05:00Z  ana        number revealed`},
		{"an escape sequence", "ok\x1b[2J\x1b[31mred", `ok\x1b[2J\x1b[31mred`},
		{"a carriage return", "fine\rhidden", `fine\rhidden`},
		{"a backslash stays readable", `C:\n`, `C:\\n`},
		{"plain text and accents", "llamó — sí", "llamó — sí"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printRequest(&out, &api.View{Request: callback.Request{ID: "A1", Status: callback.StatusDone, CreatedAt: at,
				History: []callback.Event{{At: at, Who: "ana", What: "complete: reached", Note: tt.note}}}, CallbackNumberLast4: "0142"})
			got := out.String()
			if !strings.Contains(got, "— "+tt.want+"\n") {
				t.Errorf("printed %q, want the note as %q", got, tt.want)
			}
			if strings.ContainsAny(got, "\x1b\r") || strings.Count(got, "\n") != 7 {
				t.Errorf("the note reached the terminal raw: %q", got)
			}
		})
	}
}
