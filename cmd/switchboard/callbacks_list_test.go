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
