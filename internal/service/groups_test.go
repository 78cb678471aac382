package service

import (
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestValidateGroup: a group needs a name (Okta's profile.name, at most 255
// characters), a description of at most 1024, and custom attributes of the
// group schema's types.
func TestValidateGroup(t *testing.T) {
	for _, c := range []struct {
		name   string
		g      store.Group
		causes []string // nil: valid
	}{
		{"name only", store.Group{Name: "Engineering"}, nil},
		{"255 characters", store.Group{Name: strings.Repeat("é", 255)}, nil},
		{"scalar and array attributes", store.Group{Name: "g", Profile: map[string]any{"cost": 3.0, "tags": []any{"a", true, nil}}}, nil},
		{"blank name", store.Group{Name: " \t"}, []string{"name: The field cannot be left blank"}},
		{"256 characters", store.Group{Name: strings.Repeat("é", 256)}, []string{"name: The field is too long (at most 255 characters)"}},
		{"long description", store.Group{Name: "g", Description: strings.Repeat("d", 1025)},
			[]string{"description: The field is too long (at most 1024 characters)"}},
		{"object attribute", store.Group{Name: "g", Profile: map[string]any{"owner": map[string]any{"id": "x"}}},
			[]string{"profile.owner: The value must be a string, number, boolean or an array of them."}},
		{"array of objects", store.Group{Name: "g", Profile: map[string]any{"owners": []any{map[string]any{}}}},
			[]string{"profile.owners: The value must be a string, number, boolean or an array of them."}},
		{"empty attribute name", store.Group{Name: "g", Profile: map[string]any{"": "x"}},
			[]string{"profile: Attribute names must be 1 to 100 characters long."}},
		{"long attribute value", store.Group{Name: "g", Profile: map[string]any{"notes": strings.Repeat("n", 4095)}},
			[]string{"profile.notes: The value is longer than 4096 bytes."}},
	} {
		err := ValidateGroup(&c.g)
		if c.causes == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		wantOkta(t, c.name, err, 400, "E0000001", c.causes...)
	}
	many := map[string]any{}
	for i := range 101 {
		many[strings.Repeat("a", i+1)] = "x"
	}
	if err := ValidateGroup(&store.Group{Name: "g", Profile: many}); err == nil {
		t.Error("101 custom attributes accepted")
	}
}

// TestGroupRules: names are unique; Everyone (BUILT_IN) cannot be changed,
// deleted or given members by hand (§4.8); membership changes are
// idempotent, as Okta's PUT and DELETE are.
func TestGroupRules(t *testing.T) {
	f := newFixture(t)
	eng := f.group(t, "Engineering")
	if eng.Type != GroupTypeOkta || !strings.HasPrefix(eng.ID, "00g") {
		t.Errorf("created %+v", eng)
	}
	err := f.svc.CreateGroup(f.ctx, SystemContext, &store.Group{Name: "Engineering"})
	wantOkta(t, "duplicate name", err, 400, "E0000001", "name: An object with this field already exists")
	ops := f.group(t, "Ops")
	_, err = f.svc.UpdateGroup(f.ctx, SystemContext, &store.Group{ID: ops.ID, Name: "Engineering"})
	wantOkta(t, "rename onto a taken name", err, 400, "E0000001", "name: An object with this field already exists")
	_, err = f.svc.UpdateGroup(f.ctx, SystemContext, &store.Group{ID: "00gnothere", Name: "x"})
	wantOkta(t, "update unknown", err, 404, "E0000007")

	ev, err := f.svc.Everyone(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != GroupTypeBuiltIn || ev.Name != EveryoneName {
		t.Fatalf("Everyone is %+v", ev)
	}
	u := f.user(t, "member@example.com", store.UserActive, false)
	_, err = f.svc.UpdateGroup(f.ctx, SystemContext, &store.Group{ID: ev.ID, Name: "All"})
	wantOkta(t, "rename Everyone", err, 403, "E0000006")
	wantOkta(t, "delete Everyone", f.svc.DeleteGroup(f.ctx, SystemContext, ev.ID), 403, "E0000006")
	wantOkta(t, "add to Everyone", f.svc.AddGroupMember(f.ctx, SystemContext, ev.ID, u.ID), 403, "E0000006")
	wantOkta(t, "add unknown user", f.svc.AddGroupMember(f.ctx, SystemContext, eng.ID, "00unothere"), 404, "E0000007")
	wantOkta(t, "add to unknown group", f.svc.AddGroupMember(f.ctx, SystemContext, "00gnothere", u.ID), 404, "E0000007")

	for range 2 {
		if err := f.svc.AddGroupMember(f.ctx, SystemContext, eng.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	members, err := f.svc.ListGroupMembers(f.ctx, eng.ID, store.Page{Limit: 10})
	if err != nil || len(members) != 1 || members[0].ID != u.ID {
		t.Fatalf("members after adding twice: %v %v", members, err)
	}
	for range 2 {
		if err := f.svc.RemoveGroupMember(f.ctx, SystemContext, eng.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if members, err := f.svc.ListGroupMembers(f.ctx, eng.ID, store.Page{Limit: 10}); err != nil || len(members) != 0 {
		t.Fatalf("members after removing twice: %v %v", members, err)
	}
	if err := f.svc.DeleteGroup(f.ctx, SystemContext, eng.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetGroup(f.ctx, eng.ID)
	wantOkta(t, "read deleted group", err, 404, "E0000007")
}
