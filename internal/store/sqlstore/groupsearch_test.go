package sqlstore

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// checkGroupKeysFilled: groups stored before migration 1720 are found by
// q through the name keys it adds, folded by Go.
func checkGroupKeysFilled(t *testing.T, db *sql.DB, d dialect, open func() *Store) {
	t.Helper()
	insert := d.rebind(`INSERT INTO groups (id, type, name, description, created, last_updated, last_membership_updated, profile)
		VALUES (?, 'OKTA_GROUP', ?, '', 0, 0, 0, '{}')`)
	for _, g := range [][2]string{{"00gOLD1", "ÉCOLE Normale"}, {"00gOLD2", "Ecology"}, {"00gOLD3", "école libre"}} {
		if _, err := db.Exec(insert, g[0], g[1]); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st := open()
	for prefix, want := range map[string][]string{"éc": {"00gOLD3", "00gOLD1"}, "EC": {"00gOLD2"}, "École N": {"00gOLD1"}} {
		gs, err := st.Groups().Named(t.Context(), prefix, store.GroupCursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range gs {
			got = append(got, g.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("q=%s: got %v, want %v", prefix, got, want)
		}
	}
}

func TestMigration1720SQLite(t *testing.T) {
	db, d, open := atMigration(t, "sqlite", 1720)
	checkGroupKeysFilled(t, db, d, open)
}

func TestMigration1720Postgres(t *testing.T) {
	db, d, open := atMigration(t, "postgres", 1720)
	checkGroupKeysFilled(t, db, d, open)
}

// checkGroupPlans: q reads a range of the name_key index in its order, on
// the first page and after a cursor, without sorting.
func checkGroupPlans(t *testing.T, s *Store) {
	for _, c := range []struct {
		name  string
		after store.GroupCursor
	}{{"first page", store.GroupCursor{}}, {"after a cursor", store.GroupCursor{Key: "eng 042", ID: "00gx"}}} {
		q, args := namedSQL("Eng", c.after, 200)
		plan := explain(t, s, q, args)
		if !strings.Contains(plan, "groups_folded_name") || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
			t.Errorf("q %s: the plan does not read groups_folded_name in order:\n%s", c.name, plan)
		}
		t.Logf("q %s:\n%s", c.name, plan)
	}
	// filter and search walk the groups in id order from the cursor (the
	// service reading at most ScanBudget of them).
	q, args := page(`SELECT `+groupCols+` FROM groups WHERE 1=1`, "id", store.Page{After: "00g000100", Limit: 200}, nil)
	plan := explain(t, s, q, args)
	if !strings.Contains(plan, "sqlite_autoindex_groups_1") && !strings.Contains(plan, "groups_pkey") || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
		t.Errorf("groups by id: the plan does not walk the primary key:\n%s", plan)
	}
	t.Logf("groups by id:\n%s", plan)
}

func TestGroupNamedPlansSQLite(t *testing.T) {
	checkGroupPlans(t, openSQLite(t, filepath.Join(t.TempDir(), "sesame.db")))
}

// On PostgreSQL the plan depends on statistics: on a near-empty table a
// bitmap scan and a sort are right. Seeded with 50,000 groups (one in ten
// under the prefix) and analyzed, it reads the index in order.
func TestGroupNamedPlansPostgres(t *testing.T) {
	base := pgBase(t)
	s := openPostgres(t, freshSchema(t, pgAdmin(t, base), base))
	_, err := s.write.ExecContext(t.Context(), `INSERT INTO groups (id, type, name, name_key, description, created, last_updated,
			last_membership_updated, profile)
		SELECT '00g' || lpad(i::text, 6, '0'), 'OKTA_GROUP', n, lower(n), '', 0, 0, 0, '{}'
		FROM (SELECT i, CASE WHEN i % 10 = 0 THEN 'Eng ' ELSE 'Group ' END || lpad(i::text, 6, '0') AS n
			FROM generate_series(1, 50000) AS i) AS g`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(t.Context(), `ANALYZE groups`); err != nil {
		t.Fatal(err)
	}
	checkGroupPlans(t, s)
}

// checkGroupsOfPlan: a person's groups are read through the membership
// index and the groups' keys, never by testing every group.
func checkGroupsOfPlan(t *testing.T, s *Store) {
	plan := explain(t, s, groupsOfSQL, []any{"00uAbC"})
	t.Logf("groups of a person:\n%s", plan)
	if strings.Contains(plan, "SubPlan") || strings.Contains(plan, "Seq Scan on groups") || regexp.MustCompile(`SCAN groups\b`).MatchString(plan) {
		t.Errorf("the plan reads every group:\n%s", plan)
	}
	if !strings.Contains(plan, "group_members_user") {
		t.Errorf("the plan does not read the memberships by user:\n%s", plan)
	}
}

func TestGroupsOfPlanSQLite(t *testing.T) {
	checkGroupsOfPlan(t, openSQLite(t, filepath.Join(t.TempDir(), "sesame.db")))
}

func TestGroupsOfPlanPostgres(t *testing.T) {
	base := pgBase(t)
	checkGroupsOfPlan(t, openPostgres(t, freshSchema(t, pgAdmin(t, base), base)))
}
