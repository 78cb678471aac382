// Package storetest is the conformance suite every store.Store backend runs,
// so that the backends are interchangeable: what passes here on SQLite
// passes on PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the suite. open must return a new, empty store and close it when
// the test ends; it is called once per subtest, from parallel subtests.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	var cases []testCase
	cases = append(cases, identityCases...)
	cases = append(cases, userSearchCases...)
	cases = append(cases, appCases...)
	cases = append(cases, serverCases...)
	cases = append(cases, credentialCases...)
	cases = append(cases, ephemeralCases...)
	cases = append(cases, originCases...)
	cases = append(cases, auditCases...)
	cases = append(cases, txCases...)
	cases = append(cases, signinCases...)
	cases = append(cases, groupRuleCases...)
	cases = append(cases, factorCases...)
	cases = append(cases, userSchemaCases...)
	cases = append(cases, signOnCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t))
		})
	}
}

// RunReplicas runs the cases that need several stores on one database, as
// several Sesame replicas sharing it would have. open must return n stores
// opened independently on the same new, empty database, and close them
// when the test ends.
func RunReplicas(t *testing.T, open func(t *testing.T, n int) []store.Store) {
	for _, c := range replicaCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open)
		})
	}
}

// base has nanoseconds and a zone other than UTC, so that the round trip
// proves times are cut to milliseconds and read back in UTC.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+5:30", 5*3600+1800))

func at(d time.Duration) time.Time { return base.Add(d) }

func ok(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

func wantErr(t *testing.T, err, target error, what string, args ...any) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", fmt.Sprintf(what, args...), err, target)
	}
}

func notFound(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	wantErr(t, err, store.ErrNotFound, what, args...)
}

func conflict(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	wantErr(t, err, store.ErrConflict, what, args...)
}

// same fails unless got equals want once want is cut to what the store keeps
// (times in milliseconds and UTC, empty byte slices as nil). want is
// normalized in place.
func same(t *testing.T, got, want any, what string, args ...any) {
	t.Helper()
	normalize(reflect.ValueOf(want))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: stored and read back differ:\n%s", fmt.Sprintf(what, args...), diff(reflect.ValueOf(got), reflect.ValueOf(want), ""))
	}
}

func sameStrings(t *testing.T, got, want []string, what string, args ...any) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", fmt.Sprintf(what, args...), got, want)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normalize(v.Elem())
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() == 0 && !v.IsNil() && v.CanSet() {
				v.SetZero()
			}
			return
		}
		for i := range v.Len() {
			normalize(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if tm := v.Interface().(time.Time); !tm.IsZero() && v.CanSet() {
				v.Set(reflect.ValueOf(time.UnixMilli(tm.UnixMilli()).UTC()))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normalize(v.Field(i))
			}
		}
	}
}

// diff names the fields that differ, which %v of two records would bury.
func diff(got, want reflect.Value, path string) string {
	if got.Kind() != want.Kind() || got.Type() != want.Type() {
		return fmt.Sprintf("%s: got %#v, want %#v\n", path, got, want)
	}
	switch got.Kind() {
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			break
		}
		return diff(got.Elem(), want.Elem(), path)
	case reflect.Slice:
		if got.Type().Elem().Kind() == reflect.Uint8 || got.Len() != want.Len() {
			break
		}
		var b strings.Builder
		for i := range got.Len() {
			b.WriteString(diff(got.Index(i), want.Index(i), fmt.Sprintf("%s[%d]", path, i)))
		}
		return b.String()
	case reflect.Struct:
		if got.Type() == timeType {
			break
		}
		var b strings.Builder
		for i := range got.NumField() {
			f := got.Type().Field(i)
			if f.IsExported() {
				b.WriteString(diff(got.Field(i), want.Field(i), path+"."+f.Name))
			}
		}
		return b.String()
	}
	if reflect.DeepEqual(got.Interface(), want.Interface()) {
		return ""
	}
	if got.Type() == reflect.TypeFor[[]byte]() {
		return fmt.Sprintf("%s: got %q, want %q\n", path, got.Bytes(), want.Bytes())
	}
	return fmt.Sprintf("%s: got %#v, want %#v\n", path, got.Interface(), want.Interface())
}

// walk reads a whole list page by page and checks that every page is full
// but the last and that the pages are in order.
func walk(t *testing.T, limit int, fetch func(p store.Page) ([]string, error)) []string {
	t.Helper()
	var all []string
	p := store.Page{Limit: limit}
	for range 1000 {
		ids, err := fetch(p)
		ok(t, err, "list page after %q", p.After)
		if len(ids) > limit {
			t.Fatalf("page after %q has %d items, limit %d", p.After, len(ids), limit)
		}
		all = append(all, ids...)
		if len(ids) < limit {
			if !slices.IsSorted(all) {
				t.Fatalf("pages out of order: %q", all)
			}
			return all
		}
		p.After = ids[len(ids)-1]
	}
	t.Fatalf("pagination does not end")
	return nil
}

// ids of records, for comparing lists.
func ids[T any](recs []T, id func(T) string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = id(r)
	}
	return out
}

// mixedIDs are ids whose byte order differs from a case-insensitive or
// locale order, so that every backend is held to the same, byte-wise order.
func mixedIDs(prefix string) []string {
	return []string{prefix + "b2", prefix + "B1", prefix + "a9", prefix + "_x", prefix + "A0", prefix + "z", prefix + "Z", prefix + "0"}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// race runs fn n times at once, released together so that they contend.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return errs
}

func ctxOf(t *testing.T) context.Context { return t.Context() }
