package console_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// TestLongNotesAreRefusedNotCut: a note over callback.MaxNote bytes, on
// the outcome form or the note form, is refused with a message on the
// request's page and nothing recorded; it is never cut (which could split
// a character). A note of exactly the limit is kept whole.
func TestLongNotesAreRefusedNotCut(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	id := seed(t, s, "CA1", client, testserver.MondayMorning, nil)
	ana := signIn(t, s, "ana", s.AddStaff("ana"))
	page := "/staff/requests/" + id
	if rec := ana.post(page + "/claim"); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim: %d", rec.Code)
	}
	long := strings.Repeat("é", callback.MaxNote/2) + "x" // one byte over, in whole characters
	for _, form := range [][]string{
		{"/complete", "outcome", "reached", "note", long},
		{"/note", "note", long},
	} {
		rec := ana.post(page+form[0], form[1:]...)
		if rec.Code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(rec.Body.String()), "The note is longer than 2000 bytes") {
			t.Errorf("%s with a long note: %d, want 400 with the reason", form[0], rec.Code)
		}
	}
	if rec := ana.post(page+"/note", "note", " "); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Write a note.") {
		t.Errorf("an empty note: %d", rec.Code)
	}
	r, err := s.Queue.Get(t.Context(), id)
	if err != nil || r.Status != callback.StatusClaimed || len(r.History) != 2 {
		t.Fatalf("refused notes changed the request: %+v %v", r, err)
	}
	exact := strings.Repeat("é", callback.MaxNote/2)
	if rec := ana.post(page+"/complete", "outcome", "reached", "note", exact); rec.Code != http.StatusSeeOther {
		t.Fatalf("complete with a note of the limit: %d", rec.Code)
	}
	if r, err = s.Queue.Get(t.Context(), id); err != nil || r.History[len(r.History)-1].Note != exact {
		t.Errorf("the note of the limit was not kept whole (%v)", err)
	}
}
