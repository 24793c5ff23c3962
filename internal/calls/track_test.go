package calls_test

import (
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/calls"
)

func TestRecordOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rec    calls.Record
		want   calls.Outcome
		missed bool
	}{
		{"unknown call", calls.Record{}, calls.OutcomeUnknown, false},
		{"hung up in the menu", seen(calls.Mark{Stage: calls.StageMenu}), calls.OutcomeHungUpMenu, true},
		{"hung up while ringing", seen(calls.Mark{Stage: calls.StageRing}), calls.OutcomeHungUpRing, true},
		{"hung up in the callback steps", seen(calls.Mark{Stage: calls.StageCallback}), calls.OutcomeHungUpCallbk, true},
		{"reached a person", seen(calls.Mark{Stage: calls.StageEnded, Person: true}), calls.OutcomePerson, false},
		{"left a request", seen(calls.Mark{Stage: calls.StageCallback, Request: true}), calls.OutcomeRequest, false},
		{"dialled an extension", seen(calls.Mark{Stage: calls.StageRing, Extension: true}), calls.OutcomeExtension, false},
		{"heard information", seen(calls.Mark{Stage: calls.StageInfo, Info: true}), calls.OutcomeInfo, true},
		{"crisis", seen(calls.Mark{Stage: calls.StageCrisis, Crisis: true}), calls.OutcomeCrisis, true},
		{"ended by the line", seen(calls.Mark{Stage: calls.StageEnded}), calls.OutcomeEndedByLine, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.rec.Outcome(); got != tt.want {
				t.Errorf("Outcome: got %s, want %s", got, tt.want)
			}
			if got := tt.rec.Missed(); got != tt.missed {
				t.Errorf("Missed: got %v, want %v", got, tt.missed)
			}
		})
	}
}

func seen(m calls.Mark) calls.Record { return calls.Record{Seen: true, Mark: m} }
