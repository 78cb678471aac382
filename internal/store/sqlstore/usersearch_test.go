package sqlstore

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/sesame-idp/sesame/internal/store"
)

// migrateBefore brings a raw database to the schema just before version
// stop, as an older Sesame left it.
func migrateBefore(t *testing.T, db *sql.DB, d dialect, stop int64) {
	t.Helper()
	all, err := loadMigrations("migrations/" + d.name())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.version >= stop {
			break
		}
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := db.Exec(d.rebind(`INSERT INTO schema_migrations VALUES (?, ?, 0)`), m.version, m.name); err != nil {
			t.Fatal(err)
		}
	}
}

// checkKeysFilled: users stored before migration 1701 are found by the
// search keys it adds, folded by Go (SQLite's lower() would leave É and
// the Kelvin sign alone).
func checkKeysFilled(t *testing.T, db *sql.DB, d dialect, open func() *Store) {
	t.Helper()
	insert := d.rebind(`INSERT INTO users (id, status, login, login_key, profile, password_hash, super_admin, created, activated,
		status_changed, last_login, last_updated, password_changed) VALUES (?, 'ACTIVE', ?, ?, ?, '', ?, 0, 0, 0, 0, 0, 0)`)
	for _, u := range []struct{ id, profile string }{
		{"00uOLD1", `{"login":"old1@example.com","email":"Émile@Example.FR","firstName":"ÉMILE","lastName":"\u212aELLY"}`},
		{"00uOLD2", `{"login":"old2@example.com","firstName":"Ada"}`},
	} {
		login := strings.ToLower(u.id) + "@example.com"
		if _, err := db.Exec(insert, u.id, login, login, u.profile, false); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st := open()
	for _, c := range []struct {
		attr, value string
		want        []string
	}{
		{store.UserAttrEmail, "émile@example.fr", []string{"00uOLD1"}},
		{store.UserAttrFirstName, "émile", []string{"00uOLD1"}},
		{store.UserAttrLastName, "kelly", []string{"00uOLD1"}},
		{store.UserAttrFirstName, "ada", []string{"00uOLD2"}},
		{store.UserAttrEmail, "", nil},
	} {
		us, err := st.Users().Search(t.Context(), store.UserWhere{Attr: c.attr, Op: "eq", Value: c.value}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range us {
			got = append(got, u.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s eq %q: got %v, want %v", c.attr, c.value, got, c.want)
		}
	}
}

// atMigration opens a raw database of backend ("sqlite" or "postgres")
// at the schema just before version stop, and how to open it as a Store
// (which applies the rest).
func atMigration(t *testing.T, backend string, stop int64) (*sql.DB, dialect, func() *Store) {
	t.Helper()
	if backend == "sqlite" {
		path := filepath.Join(t.TempDir(), "sesame.db")
		db, err := sql.Open("sqlite", "file:"+path+"?_foreign_keys=on")
		if err != nil {
			t.Fatal(err)
		}
		migrateBefore(t, db, sqliteDialect{}, stop)
		return db, sqliteDialect{}, func() *Store { return openSQLite(t, path) }
	}
	base := pgBase(t)
	url := freshSchema(t, pgAdmin(t, base), base)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	migrateBefore(t, db, postgresDialect{}, stop)
	return db, postgresDialect{}, func() *Store { return openPostgres(t, url) }
}

func TestMigration1701SQLite(t *testing.T) {
	db, d, open := atMigration(t, "sqlite", 1701)
	checkKeysFilled(t, db, d, open)
}

func TestMigration1701Postgres(t *testing.T) {
	db, d, open := atMigration(t, "postgres", 1701)
	checkKeysFilled(t, db, d, open)
}

// The searches of the users list read an index, never the whole table,
// whatever the planner's statistics say (PostgreSQL is asked with
// sequential scans discouraged, since on a near-empty table a scan is what
// it rightly prefers).
var planCases = []struct {
	name  string
	where store.UserWhere
	index []string // any of these in the plan
}{
	{"email eq", store.UserWhere{Attr: store.UserAttrEmail, Op: "eq", Value: "a@example.com"}, []string{"users_email"}},
	{"first name sw", store.UserWhere{Attr: store.UserAttrFirstName, Op: "sw", Value: "ad"}, []string{"users_first_name"}},
	{"last name eq, not deprovisioned", store.UserWhere{And: []store.UserWhere{
		{Attr: store.UserAttrLastName, Op: "eq", Value: "x"}, {Attr: store.UserAttrStatus, Op: "ne", Value: store.UserDeprovisioned}}},
		[]string{"users_last_name"}},
	{"login eq", store.UserWhere{Attr: store.UserAttrLogin, Op: "eq", Value: "a@example.com"}, []string{"login_key"}},
	{"status eq", store.UserWhere{Attr: store.UserAttrStatus, Op: "eq", Value: store.UserStaged}, []string{"users_status"}},
	{"q: three prefixes", store.UserWhere{Or: []store.UserWhere{
		{Attr: store.UserAttrFirstName, Op: "sw", Value: "gr"}, {Attr: store.UserAttrLastName, Op: "sw", Value: "gr"},
		{Attr: store.UserAttrEmail, Op: "sw", Value: "gr"}}}, []string{"users_first_name"}},
	{"last updated gt", store.UserWhere{Attr: store.UserAttrLastUpdated, Op: "gt", Value: time.Now()}, []string{"users_last_updated"}},
	// A search no index answers (profile.department, say) walks the users
	// in id order from the cursor, the service reading at most ScanBudget.
	{"no index: the id walk", store.UserWhere{Attr: store.UserAttrStatus, Op: "ne", Value: store.UserDeprovisioned},
		[]string{"sqlite_autoindex_users_1", "users_pkey"}},
}

// explainUsers is the plan of a page of Search. On SQLite, Search keeps
// the id index out of the plan of a selective condition when few users
// match; the plan shown is that one (the other walks the id index).
func explainUsers(t *testing.T, s *Store, w store.UserWhere) string {
	t.Helper()
	key := "id"
	if s.Backend() == "sqlite" && selective(w) {
		key = "+id"
	}
	q, args, err := searchSQL(w, store.Page{After: "00u", Limit: 200}, key)
	if err != nil {
		t.Fatal(err)
	}
	return explain(t, s, q, args)
}

// explain is the plan of a query, with PostgreSQL's sequential scans
// discouraged (see planCases).
func explain(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if s.Backend() == "postgres" {
		prefix = "EXPLAIN "
	}
	ctx := t.Context()
	conn, err := s.read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if s.Backend() == "postgres" {
		if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, `RESET enable_seqscan`)
	}
	rows, err := conn.QueryContext(ctx, s.rebind(prefix+q), args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, string(toText(vals[len(vals)-1])))
	}
	return strings.Join(plan, "\n")
}

func toText(v any) []byte {
	switch x := v.(type) {
	case string:
		return []byte(x)
	case []byte:
		return x
	}
	return nil
}

func checkPlans(t *testing.T, s *Store) {
	for _, c := range planCases {
		plan := explainUsers(t, s, c.where)
		if !slices.ContainsFunc(c.index, func(ix string) bool { return strings.Contains(plan, ix) }) {
			t.Errorf("%s: the plan reads none of %v:\n%s", c.name, c.index, plan)
		}
		t.Logf("%s:\n%s", c.name, plan)
	}
}

func TestUserSearchPlansSQLite(t *testing.T) {
	checkPlans(t, openSQLite(t, filepath.Join(t.TempDir(), "sesame.db")))
}

func TestUserSearchPlansPostgres(t *testing.T) {
	base := pgBase(t)
	checkPlans(t, openPostgres(t, freshSchema(t, pgAdmin(t, base), base)))
}
