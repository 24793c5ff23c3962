package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/testserver"
)

// seedReasons creates one pending request a minute, with the given reasons,
// and returns their ids.
func (r *apiRig) seedReasons(t *testing.T, reasons ...callback.Reason) []string {
	t.Helper()
	var ids []string
	for i, reason := range reasons {
		ids = append(ids, r.add(t, callback.Capture{
			CallSID: fmt.Sprintf("CA%04d", i), CallbackNumber: "+12065550142", CallerNumber: "+12065550142",
			Reason: reason, At: testserver.MondayMorning.Add(time.Duration(i) * time.Minute),
		}))
	}
	return ids
}

func TestUrgentRequestsListFirstAndSayWhy(t *testing.T) {
	t.Parallel()
	r := newFakeRig(t)
	ids := r.seedReasons(t, callback.ReasonMenu, callback.ReasonCrisis, callback.ReasonTherapist,
		callback.ReasonClosed, callback.ReasonCrisis)
	want := []string{ids[1], ids[4], ids[0], ids[2], ids[3]}

	var got []string
	items := map[string]map[string]any{}
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		rec := r.call("GET", "/api/v1/callbacks?limit=2&cursor="+url.QueryEscape(cursor), r.ana, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
		body := decode[listBody](t, rec)
		for _, c := range body.Callbacks {
			got = append(got, c["id"].(string))
			items[c["id"].(string)] = c
		}
		if body.Next == "" {
			break
		}
		cursor = body.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged ids = %v, want %v (urgent first, oldest first within each part)", got, want)
	}
	tests := []struct {
		name       string
		id         string
		reason     string
		urgent     any // true, or nil when the field is left out
		reasonText string
	}{
		{"crisis", ids[1], "crisis", true, "urgent: the caller may be in crisis"},
		{"therapist", ids[2], "therapist", nil, "asked for their therapist"},
		{"menu", ids[0], "menu", nil, "asked from the menu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for where, c := range map[string]map[string]any{
				"list": items[tt.id],
				"get":  decode[map[string]any](t, r.call("GET", "/api/v1/callbacks/"+tt.id, r.ana, "")),
			} {
				if c["reason"] != tt.reason || c["urgent"] != tt.urgent || c["reasonText"] != tt.reasonText {
					t.Errorf("%s: reason %v, urgent %v, reasonText %v; want %s, %v, %q",
						where, c["reason"], c["urgent"], c["reasonText"], tt.reason, tt.urgent, tt.reasonText)
				}
			}
		})
	}
}

func TestListFiltersByReason(t *testing.T) {
	t.Parallel()
	r := newFakeRig(t)
	ids := r.seedReasons(t, callback.ReasonMenu, callback.ReasonCrisis, callback.ReasonTherapist, callback.ReasonTherapist)
	tests := []struct {
		query    string
		wantCode int
		wantIDs  []string
		wantErr  string
	}{
		{"reason=crisis", http.StatusOK, []string{ids[1]}, ""},
		{"reason=therapist", http.StatusOK, []string{ids[2], ids[3]}, ""},
		{"reason=", http.StatusOK, []string{ids[1], ids[0], ids[2], ids[3]}, ""},
		{"reason=urgent", http.StatusBadRequest, nil, "reason must be one of menu, "},
		{"reason=Crisis", http.StatusBadRequest, nil, "crisis, therapist"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := r.call("GET", "/api/v1/callbacks?"+tt.query, r.ana, "")
			if rec.Code != tt.wantCode {
				t.Fatalf("got %d %s, want %d", rec.Code, rec.Body, tt.wantCode)
			}
			if tt.wantErr != "" {
				if msg := decode[map[string]string](t, rec)["error"]; !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error = %q, want it to contain %q", msg, tt.wantErr)
				}
				return
			}
			var got []string
			for _, c := range decode[listBody](t, rec).Callbacks {
				got = append(got, c["id"].(string))
			}
			if !slices.Equal(got, tt.wantIDs) {
				t.Errorf("got %v, want %v", got, tt.wantIDs)
			}
		})
	}
}
