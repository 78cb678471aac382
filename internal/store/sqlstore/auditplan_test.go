package sqlstore

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// A System Log page filtered on an actor reads the actor index (migration
// 1750), in either order and after a cursor, not the whole window.
func checkAuditActorPlans(t *testing.T, s *Store) {
	now := time.Now()
	for _, q := range []store.AuditQuery{
		{ActorID: "00uAbC", Since: now.Add(-time.Hour), Until: now, Limit: 1000},
		{ActorID: "00uAbC", Since: now.Add(-time.Hour), Until: now, Descending: true, AfterPublished: now, AfterUUID: "u", Limit: 1000},
		{ActorID: "00uAbC", EventType: "user.session.start", Since: now.Add(-time.Hour), Limit: 1000},
	} {
		query, args := auditListSQL(q)
		plan := explain(t, s, query, args)
		if !strings.Contains(plan, "audit_events_actor") {
			t.Errorf("%+v: the plan does not read audit_events_actor:\n%s", q, plan)
		}
		t.Logf("%+v:\n%s", q, plan)
	}
}

func TestAuditActorPlansSQLite(t *testing.T) {
	checkAuditActorPlans(t, openSQLite(t, filepath.Join(t.TempDir(), "sesame.db")))
}

func TestAuditActorPlansPostgres(t *testing.T) {
	base := pgBase(t)
	checkAuditActorPlans(t, openPostgres(t, freshSchema(t, pgAdmin(t, base), base)))
}
