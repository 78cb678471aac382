package storetest

import (
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

var userSchemaCases = []testCase{
	{"UserSchema", testUserSchema},
	{"UsersDropAttribute", testUsersDropAttribute},
}

func testUserSchema(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	list, err := s.UserSchema().List(ctx)
	ok(t, err, "list empty schema")
	if len(list) != 0 {
		t.Fatalf("new store has properties: %v", list)
	}
	b := &store.UserSchemaProperty{Name: "shoeSize", Definition: []byte(`{"title":"Shoe size","type":"integer"}`), Created: at(0), LastUpdated: at(0)}
	a := &store.UserSchemaProperty{Name: "costCenterCode", Definition: []byte(`{"title":"Code","type":"string"}`), Created: at(1), LastUpdated: at(1)}
	ok(t, s.UserSchema().Put(ctx, b), "put")
	ok(t, s.UserSchema().Put(ctx, a), "put")
	// Replacing keeps Created and takes the new definition and LastUpdated.
	b2 := &store.UserSchemaProperty{Name: "shoeSize", Definition: []byte(`{"title":"Size","type":"number"}`), Created: at(5), LastUpdated: at(5)}
	ok(t, s.UserSchema().Put(ctx, b2), "replace")
	list, err = s.UserSchema().List(ctx)
	ok(t, err, "list")
	same(t, list, []*store.UserSchemaProperty{a,
		{Name: "shoeSize", Definition: []byte(`{"title":"Size","type":"number"}`), Created: at(0), LastUpdated: at(5)}}, "properties by name")
	ok(t, s.UserSchema().Delete(ctx, "shoeSize"), "delete")
	notFound(t, s.UserSchema().Delete(ctx, "shoeSize"), "delete again")
	list, err = s.UserSchema().List(ctx)
	ok(t, err, "list after delete")
	if len(list) != 1 || list[0].Name != "costCenterCode" {
		t.Fatalf("after delete: %v", list)
	}
}

func testUsersDropAttribute(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	with := newUser("00u1", "a@example.com")
	with.Profile["shoeSize"] = 44.0
	without := newUser("00u2", "b@example.com")
	ok(t, s.Users().Create(ctx, with), "create")
	ok(t, s.Users().Create(ctx, without), "create")
	n, err := s.Users().DropAttribute(ctx, "shoeSize")
	ok(t, err, "drop attribute")
	if n != 1 {
		t.Fatalf("dropped from %d users, want 1", n)
	}
	got, err := s.Users().Get(ctx, "00u1")
	ok(t, err, "get")
	delete(with.Profile, "shoeSize")
	same(t, got.Profile, with.Profile, "profile without the attribute")
	got, err = s.Users().Get(ctx, "00u2")
	ok(t, err, "get")
	same(t, got.Profile, without.Profile, "untouched profile")
}
