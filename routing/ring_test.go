package routing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-clinic/switchboard/routing"
)

func TestParseMember(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want routing.Member
	}{
		{"+14255550101", routing.Member{Kind: routing.MemberPhone, Address: "+14255550101"}},
		{"sip:desk@clinic.sip.twilio.com", routing.Member{Kind: routing.MemberSIP, Address: "sip:desk@clinic.sip.twilio.com"}},
		{"client:frontdesk", routing.Member{Kind: routing.MemberClient, Address: "frontdesk"}},
	}
	for _, tt := range tests {
		if got := routing.ParseMember(tt.in); got != tt.want {
			t.Errorf("ParseMember(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestGroupSteps(t *testing.T) {
	t.Parallel()
	a := routing.Member{Kind: routing.MemberPhone, Address: "+14255550101"}
	b := routing.Member{Kind: routing.MemberPhone, Address: "+14255550102"}
	c := routing.Member{Kind: routing.MemberPhone, Address: "+14255550103"}
	tests := []struct {
		name      string
		group     routing.Group
		want      []routing.DialStep
		wantTotal int
	}{
		{
			name:      "all at once",
			group:     routing.Group{Strategy: routing.RingAll, Members: []routing.Member{a, b, c}, RingSeconds: 25, MaxRingSeconds: 60},
			want:      []routing.DialStep{{Members: []routing.Member{a, b, c}, Timeout: 25}},
			wantTotal: 25,
		},
		{
			name:      "all at once capped by the total",
			group:     routing.Group{Strategy: routing.RingAll, Members: []routing.Member{a, b}, RingSeconds: 90, MaxRingSeconds: 45},
			want:      []routing.DialStep{{Members: []routing.Member{a, b}, Timeout: 45}},
			wantTotal: 45,
		},
		{
			name:  "in order",
			group: routing.Group{Strategy: routing.RingOrder, Members: []routing.Member{a, b, c}, RingSeconds: 15, MaxRingSeconds: 60},
			want: []routing.DialStep{
				{Members: []routing.Member{a}, Timeout: 15},
				{Members: []routing.Member{b}, Timeout: 15},
				{Members: []routing.Member{c}, Timeout: 15},
			},
			wantTotal: 45,
		},
		{
			name:  "in order, the total cuts the last member short",
			group: routing.Group{Strategy: routing.RingOrder, Members: []routing.Member{a, b, c}, RingSeconds: 20, MaxRingSeconds: 50},
			want: []routing.DialStep{
				{Members: []routing.Member{a}, Timeout: 20},
				{Members: []routing.Member{b}, Timeout: 20},
				{Members: []routing.Member{c}, Timeout: 10},
			},
			wantTotal: 50,
		},
		{
			name:  "in order, too little time left for another member",
			group: routing.Group{Strategy: routing.RingOrder, Members: []routing.Member{a, b, c}, RingSeconds: 20, MaxRingSeconds: 42},
			want: []routing.DialStep{
				{Members: []routing.Member{a}, Timeout: 20},
				{Members: []routing.Member{b}, Timeout: 20},
			},
			wantTotal: 40,
		},
		{
			name:      "no members",
			group:     routing.Group{Strategy: routing.RingAll, RingSeconds: 20, MaxRingSeconds: 20},
			want:      nil,
			wantTotal: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []routing.DialStep
			for i := 0; ; i++ {
				s, ok := tt.group.Step(i)
				if !ok {
					break
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("steps mismatch (-want +got):\n%s", diff)
			}
			if total := tt.group.TotalRingSeconds(); total != tt.wantTotal {
				t.Errorf("TotalRingSeconds() = %d, want %d", total, tt.wantTotal)
			}
		})
	}
}
