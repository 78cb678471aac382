package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-idp/sesame/internal/store"
)

// userSearchCols maps the attributes of a store.UserWhere to the indexed
// columns that hold them (migration 1701).
var userSearchCols = map[string]string{
	store.UserAttrStatus:      "status",
	store.UserAttrLogin:       "login_key",
	store.UserAttrEmail:       "email_key",
	store.UserAttrFirstName:   "first_name_key",
	store.UserAttrLastName:    "last_name_key",
	store.UserAttrCreated:     "created",
	store.UserAttrLastUpdated: "last_updated",
}

var sqlOps = map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

// userKeys are the search keys of a profile (NULL for an absent or
// non-string attribute), in the order of the key columns.
func userKeys(profile map[string]any) (email, first, last any) {
	key := func(name string) any {
		if k, ok := store.UserKey(profile[name]); ok {
			return k
		}
		return nil
	}
	return key("email"), key("firstName"), key("lastName")
}

// narrowMatches is how many users a condition may select for a page to be
// read through the condition's index and sorted by id, rather than by
// walking the users in id order until the page is full. Sorting costs in
// proportion to the matches, the walk in proportion to the users it skips
// (the users over the matches, times the page): the two meet near the
// square root of the page times the users, about 10,000 for pages of 200
// among a million.
const narrowMatches = 10_000

func (r users) Search(ctx context.Context, w store.UserWhere, p store.Page) ([]*store.User, error) {
	var args []any
	cond, err := userCond(w, &args)
	if err != nil {
		return nil, err
	}
	key := "id"
	if _, isSQLite := r.s.d.(sqliteDialect); isSQLite && selective(w) {
		// SQLite plans without statistics and prefers walking the id
		// index, which skips every user a rare condition does not
		// select: count (up to a bound) what the condition's own index
		// selects, and when that is few, keep the id index out of the
		// plan (+id is an expression no index serves).
		var n int
		err := r.s.get(ctx, "count users", func(row scanner) error { return row.Scan(&n) },
			`SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE `+cond+` LIMIT ?)`, append(slices.Clone(args), narrowMatches)...)
		if err != nil {
			return nil, err
		}
		if n < narrowMatches {
			key = "+id"
		}
	}
	q, args := page(`SELECT `+userCols+` FROM users WHERE `+cond, key, p, args)
	return list(ctx, r.s, "search users", scanUser, q, args...)
}

// searchSQL is the query of a page of Search, walking the id index or not
// (key "id" or "+id").
func searchSQL(w store.UserWhere, p store.Page, key string) (string, []any, error) {
	var args []any
	cond, err := userCond(w, &args)
	if err != nil {
		return "", nil, err
	}
	q, args := page(`SELECT `+userCols+` FROM users WHERE `+cond, key, p, args)
	return q, args, nil
}

// selective reports whether w can select few users through an index: it
// has a comparison other than status ne in every branch of an or, or in
// some part of an and.
func selective(w store.UserWhere) bool {
	switch {
	case w.Never:
		return false
	case w.Attr != "":
		return w.Op != "ne"
	case len(w.Or) > 0:
		for _, x := range w.Or {
			if !selective(x) {
				return false
			}
		}
		return true
	}
	return slices.ContainsFunc(w.And, selective)
}

// userCond renders w as an SQL condition, appending its arguments.
func userCond(w store.UserWhere, args *[]any) (string, error) {
	switch {
	case w.Never:
		return "1=0", nil
	case w.Attr != "":
		return userComparison(w, args)
	case len(w.And) > 0 || len(w.Or) > 0:
		parts, joiner := w.And, " AND "
		if len(w.Or) > 0 {
			if len(w.And) > 0 {
				return "", fmt.Errorf("sqlstore: user search: a condition is either And or Or")
			}
			parts, joiner = w.Or, " OR "
		}
		out := make([]string, 0, len(parts))
		for _, p := range parts {
			c, err := userCond(p, args)
			if err != nil {
				return "", err
			}
			out = append(out, c)
		}
		return "(" + strings.Join(out, joiner) + ")", nil
	}
	return "1=1", nil
}

func userComparison(w store.UserWhere, args *[]any) (string, error) {
	col, ok := userSearchCols[w.Attr]
	if !ok {
		return "", fmt.Errorf("sqlstore: user search: attribute %q is not indexed", w.Attr)
	}
	var v any
	switch x := w.Value.(type) {
	case string:
		if store.IsTimeAttr(w.Attr) {
			return "", fmt.Errorf("sqlstore: user search: %s compares with a time", w.Attr)
		}
		v = x
	case time.Time:
		if !store.IsTimeAttr(w.Attr) {
			return "", fmt.Errorf("sqlstore: user search: %s does not hold a time", w.Attr)
		}
		v = x.UnixMilli()
	default:
		return "", fmt.Errorf("sqlstore: user search: unexpected value %T", w.Value)
	}
	if w.Op == "sw" {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("sqlstore: user search: sw compares strings")
		}
		// A prefix is a range of the byte-ordered keys: [s, s with its
		// last byte raised), which both databases answer from the index.
		*args = append(*args, s)
		if hi, ok := prefixEnd(s); ok {
			*args = append(*args, hi)
			return "(" + col + " >= ? AND " + col + " < ?)", nil
		}
		return col + " >= ?", nil
	}
	op, ok := sqlOps[w.Op]
	if !ok || (w.Op == "ne" && w.Attr != store.UserAttrStatus) {
		return "", fmt.Errorf("sqlstore: user search: operator %q on %s", w.Op, w.Attr)
	}
	*args = append(*args, v)
	return col + " " + op + " ?", nil
}

// prefixEnd is the least string greater than every string starting with
// s, when it is valid UTF-8 (PostgreSQL refuses anything else).
func prefixEnd(s string) (string, bool) {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			end := string(b[:i+1])
			return end, utf8.ValidString(end)
		}
	}
	return "", false
}

func (r users) InGroup(ctx context.Context, groupID string, p store.Page) ([]*store.User, error) {
	// Column names are unique across the two tables, so the user columns
	// need no qualifier.
	query, args := `SELECT `+userCols+` FROM group_members JOIN users ON users.id = group_members.user_id
		WHERE group_members.group_id = ?`, []any{groupID}
	if p.After != "" {
		// The cursor on both sides of the join: PostgreSQL merges the
		// member index with the users' primary key, and without its own
		// bound the users side would be read from the first id on, more
		// with each page.
		query += ` AND users.id > ?`
		args = append(args, p.After)
	}
	q, args := page(query, "group_members.user_id", p, args)
	return list(ctx, r.s, "list members of group "+groupID, scanUser, q, args...)
}

// fillUserKeys is the Go step of migration 1701: the search keys of the
// users that existed before it, folded by Go as every later write folds
// them.
func fillUserKeys(ctx context.Context, tx *sql.Tx, d dialect) error {
	after := ""
	for {
		rows, err := tx.QueryContext(ctx, d.rebind(`SELECT id, profile FROM users WHERE id > ? ORDER BY id LIMIT 1000`), after)
		if err != nil {
			return err
		}
		type row struct {
			id      string
			profile map[string]any
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, jsonDoc{&r.profile}); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			email, first, last := userKeys(r.profile)
			if _, err := tx.ExecContext(ctx, d.rebind(`UPDATE users SET email_key = ?, first_name_key = ?, last_name_key = ? WHERE id = ?`),
				email, first, last, r.id); err != nil {
				return err
			}
			after = r.id
		}
		if len(batch) < 1000 {
			return nil
		}
	}
}
