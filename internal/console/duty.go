package console

import (
	"cmp"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/phone"
	"github.com/switchboard-clinic/switchboard/routing"
)

// dutyBar is the "Taking calls / Away" control on every page, for a
// signed-in scheduler whose phone rings for a group.
type dutyBar struct {
	On     bool
	Groups string // "scheduling"
	Status string // "Taking calls (switched sms)"
}

// dutyRow is one member on the duty page.
type dutyRow struct {
	Member  string // the member's address, as the form posts it
	Shown   string // masked phone or the SIP/client address
	Name    string // the staff account with that phone, if any
	Groups  string
	On      bool
	Status  string
	Changed string // when, by whom and how the switch was last set
}

// dutyGroup is one ring group on the duty page: who takes its calls now.
type dutyGroup struct {
	Name   string
	Title  string   // for people: "Scheduling", an extension's name
	Taking []string // "ana (…0101)"; none: nobody
}

// dutyEvent is one logged change, for people.
type dutyEvent struct {
	When, Member, Change, Who, How string
}

// myDuty finds the signed-in person's own control.
func (x *Console) myDuty(c echo.Context, name string) *dutyBar {
	if x.d.Duty == nil || name == "" {
		return nil
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	acct, err := x.d.Staff.Get(ctx, name)
	if err != nil || acct.Phone == "" {
		return nil
	}
	line := x.d.Line()
	groups := duty.GroupsOf(line, acct.Phone)
	if len(groups) == 0 {
		return nil
	}
	states, err := x.d.Duty.States(ctx)
	if err != nil {
		return nil
	}
	g := line.Groups[groups[0]]
	now := x.d.Now()
	return &dutyBar{On: duty.OnDuty(g, acct.Phone, states, now), Groups: strings.Join(groups, ", "),
		Status: duty.Describe(g, acct.Phone, states, now)}
}

// SetMyDuty answers POST /staff/duty: the signed-in scheduler switches
// themselves on duty (on=1) or away (on=0).
func (x *Console) SetMyDuty(c echo.Context) error {
	if x.d.Duty == nil {
		return errNoDuty
	}
	s := session(c)
	ctx, cancel := x.ctx(c)
	defer cancel()
	acct, err := x.d.Staff.Get(ctx, s.Name)
	if err != nil {
		return x.unavailable(c, err)
	}
	if acct.Phone == "" || len(duty.GroupsOf(x.d.Line(), acct.Phone)) == 0 {
		return &problem{Status: http.StatusConflict, Title: "You have no duty switch",
			Text:  "Your account has no phone that a ring group rings, so there is nothing to switch. Ask an admin if your phone should ring.",
			Admin: "A member's phone goes on the account with: switchboard staff phone NAME NUMBER, and in a ring group of the configuration."}
	}
	on := c.FormValue("on") == "1"
	if err := x.d.Duty.Set(ctx, duty.Switch{Member: acct.Phone, On: on, By: s.Name, How: "console", Until: duty.SwitchUntil(x.d.Line(), acct.Phone, x.d.Now())}); err != nil {
		return x.unavailable(c, err)
	}
	msg := "You are away: calls will not ring your phone."
	if on {
		msg = "You are taking calls."
	}
	x.checkGap(c)
	_ = x.d.Sessions.SetFlash(ctx, s.ID, msg)
	return c.Redirect(http.StatusSeeOther, backTo(c.FormValue("next")))
}

// errNoDuty answers the duty routes of a console built without a roster.
var errNoDuty = &problem{Status: http.StatusNotFound, Title: "Duty is not set up",
	Text: "This Switchboard keeps no duty switches, so there is nothing to show here."}

// checkGap tells the watch at once of a switch, so the admins are texted
// when it leaves a group with nobody (the watch's own loop would find it
// within a minute).
func (x *Console) checkGap(c echo.Context) {
	if x.d.Watch == nil {
		return
	}
	ctx, cancel := x.ctx(c)
	defer cancel()
	if _, err := x.d.Watch.Check(ctx); err != nil {
		x.d.Logger.Warn("duty check after a switch failed; the next check tries again", slog.String("error", err.Error()))
	}
}

// backTo is a console path to return to after a form, or the queue.
func backTo(next string) string {
	if strings.HasPrefix(next, "/staff/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/staff/"
}

// DutyPage answers GET /staff/duty: every member's state and the log of
// changes; admins can change anyone's.
func (x *Console) DutyPage(c echo.Context) error {
	if x.d.Duty == nil {
		return errNoDuty
	}
	p := x.base(c, "Who is taking calls")
	ctx, cancel := x.ctx(c)
	defer cancel()
	states, err := x.d.Duty.States(ctx)
	if err != nil {
		return x.unavailable(c, err)
	}
	accounts, err := x.d.Staff.List(ctx)
	if err != nil {
		return x.unavailable(c, err)
	}
	names := map[string]string{}
	for _, a := range accounts {
		if a.Phone != "" {
			names[a.Phone] = a.Name
		}
		if a.Name == p.Who {
			p.Admin = a.Admin
		}
	}
	line, now := x.d.Line(), x.d.Now()
	loc := line.Schedule.Location
	for _, m := range duty.Members(line) {
		groups := duty.GroupsOf(line, m.Address)
		g := line.Groups[groups[0]]
		row := dutyRow{Member: m.Address, Shown: m.Address, Name: names[m.Address], Groups: strings.Join(groups, ", "),
			On: duty.OnDuty(g, m.Address, states, now), Status: duty.Describe(g, m.Address, states, now)}
		if m.Kind == routing.MemberPhone {
			row.Shown = phone.Mask(m.Address)
		}
		if st, ok := states[m.Address]; ok {
			row.Changed = st.At.In(loc).Format(stamp) + " by " + phone.MaskIn(st.Who) + " (" + st.How + ")"
		}
		p.Members = append(p.Members, row)
	}
	for _, name := range slices.Sorted(maps.Keys(line.Groups)) {
		g := dutyGroup{Name: name, Title: cmp.Or(line.Groups[name].Title, name)}
		for _, m := range duty.Taking(line.Groups[name], states, now) {
			shown := m.Address
			if m.Kind == routing.MemberPhone {
				shown = phone.Mask(m.Address)
			}
			if n := names[m.Address]; n != "" {
				shown = n + " (" + shown + ")"
			}
			g.Taking = append(g.Taking, shown)
		}
		p.Groups = append(p.Groups, g)
	}
	log, err := x.d.Duty.Log(ctx, 100)
	if err != nil {
		return x.unavailable(c, err)
	}
	for _, ch := range log {
		change := "away"
		if ch.On {
			change = "taking calls"
		}
		member := phone.Mask(ch.Member)
		if n := names[ch.Member]; n != "" {
			member = n + " (" + member + ")"
		}
		p.DutyLog = append(p.DutyLog, dutyEvent{When: ch.At.In(loc).Format(stamp), Member: member, Change: change, Who: phone.MaskIn(ch.Who), How: ch.How})
	}
	return x.render(c, http.StatusOK, "duty.html", p)
}

// SetDuty answers POST /staff/duty/member: an admin sets a member on duty
// or away.
func (x *Console) SetDuty(c echo.Context) error {
	if x.d.Duty == nil {
		return errNoDuty
	}
	if err := x.requireAdmin(c, "only an admin can change another member's duty"); err != nil {
		return err
	}
	s := session(c)
	ctx, cancel := x.ctx(c)
	defer cancel()
	member := c.FormValue("member")
	if len(duty.GroupsOf(x.d.Line(), member)) == 0 {
		return &problem{Status: http.StatusBadRequest, Title: "No such member",
			Text: "No ring group has that member. Nothing was changed.", BackHref: "/staff/duty", BackText: "Back to who is taking calls"}
	}
	on := c.FormValue("on") == "1"
	if err := x.d.Duty.Set(ctx, duty.Switch{Member: member, On: on, By: s.Name, How: "admin", Until: duty.SwitchUntil(x.d.Line(), member, x.d.Now())}); err != nil {
		return x.unavailable(c, err)
	}
	x.checkGap(c)
	who := c.FormValue("name")
	if who == "" {
		who = phone.Mask(member)
	}
	msg := who + " is away now."
	if on {
		msg = who + " is taking calls now."
	}
	_ = x.d.Sessions.SetFlash(ctx, s.ID, msg)
	return c.Redirect(http.StatusSeeOther, "/staff/duty")
}
