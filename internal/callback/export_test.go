package callback

import "context"

// HoldUnreplicated switches r to the rule before issue 21: a write no
// replica acknowledged waits in the spool, unseen by staff, until one does.
// Tests use it to show that their checks fail under that rule.
func HoldUnreplicated(r *Recorder) { r.holdUnreplicated = true }

// FieldAAD and NoteAAD are what sealed values are bound to, for tests that
// write stored records directly.
var (
	FieldAAD = fieldAAD
	NoteAAD  = noteAAD
)

// ClearCreateOp is CreateOp without sealing: what creating a request
// wrote before client data was sealed, for the benchmark that compares.
func ClearCreateOp(q *Queue, c Capture) Op { return q.clearCreateOp(c) }

// CancelUnchecked asks the transition script to cancel without the check
// Cancel makes first: what the script does when the request changed
// between that check and the script (a claim that expired meanwhile).
func CancelUnchecked(q *Queue, id string, by Holder) (*Request, error) {
	return q.transition(context.Background(), change{id: id, action: string(ActionCancel), by: by})
}
