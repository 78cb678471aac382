package mgmt

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Users list: Okta's default page and maximum are both 200.
const (
	usersDefaultLimit = 200
	usersMaxLimit     = 200
)

func (h *Handler) registerUsers(mux *http.ServeMux) {
	const one = "/api/v1/users/{id}"
	mux.Handle("GET /api/v1/users", h.auth("okta.users.read", h.listUsers))
	mux.Handle("POST /api/v1/users", h.auth("okta.users.manage", h.createUser))
	mux.Handle("GET "+one, h.auth("okta.users.read", h.getUser))
	mux.Handle("POST "+one, h.auth("okta.users.manage", h.updateUser(false)))
	mux.Handle("PUT "+one, h.auth("okta.users.manage", h.updateUser(true)))
	mux.Handle("DELETE "+one, h.auth("okta.users.manage", h.deleteUser))
	mux.Handle("POST "+one+"/lifecycle/{op}", h.auth("okta.users.manage", h.userLifecycle))
	mux.Handle("POST "+one+"/lifecycle/expire_password_with_temp_password", h.auth("okta.users.manage", h.expireWithTempPassword))
	mux.Handle("POST "+one+"/credentials/change_password", h.auth("okta.users.manage", h.changePassword))
	mux.Handle("POST "+one+"/credentials/change_recovery_question", h.auth("okta.users.manage", h.changeRecoveryQuestion))
}

// UserJSON is the user object of §4.7.
type UserJSON struct {
	ID              string              `json:"id"`
	Status          string              `json:"status"`
	Created         Time                `json:"created"`
	Activated       Time                `json:"activated"`
	StatusChanged   Time                `json:"statusChanged"`
	LastLogin       Time                `json:"lastLogin"`
	LastUpdated     Time                `json:"lastUpdated"`
	PasswordChanged Time                `json:"passwordChanged"`
	Type            map[string]string   `json:"type"`
	Profile         map[string]any      `json:"profile"`
	Credentials     UserCredentialsJSON `json:"credentials"`
	Links           map[string]any      `json:"_links"`
}

// UserCredentialsJSON is a user's credentials: the password is write-only
// and shows as {} once set; of the recovery question only the question
// shows.
type UserCredentialsJSON struct {
	Password         *struct{}             `json:"password,omitempty"`
	RecoveryQuestion *RecoveryQuestionJSON `json:"recovery_question,omitempty"`
	Provider         map[string]string     `json:"provider"`
}

// RecoveryQuestionJSON is credentials.recovery_question; Answer is only
// ever read.
type RecoveryQuestionJSON struct {
	Question string `json:"question"`
	Answer   string `json:"answer,omitempty"`
}

func (q *RecoveryQuestionJSON) service() *service.RecoveryQuestion {
	if q == nil {
		return nil
	}
	return &service.RecoveryQuestion{Question: q.Question, Answer: q.Answer}
}

func userCredentials(u *store.User) UserCredentialsJSON {
	c := UserCredentialsJSON{Provider: map[string]string{"type": "OKTA", "name": "OKTA"}}
	if u.PasswordHash != "" {
		c.Password = &struct{}{}
	}
	if u.RecoveryQuestion != "" {
		c.RecoveryQuestion = &RecoveryQuestionJSON{Question: u.RecoveryQuestion}
	}
	return c
}

// userTypeID is the org's one user type. Sesame has no custom user types,
// so the default type's id is derived from the org id: stable, and
// distinct between installs as Okta's are.
func (h *Handler) userTypeID() string {
	if snap := h.svc.Cache.Current(); snap != nil && snap.Org != nil && len(snap.Org.ID) > 3 {
		return "oty" + snap.Org.ID[3:]
	}
	return "oty00000000000000000"
}

// userOpLinks names the HAL link of each lifecycle operation.
var userOpLinks = map[string]string{
	service.OpActivate: "activate", service.OpDeactivate: "deactivate", service.OpSuspend: "suspend",
	service.OpUnsuspend: "unsuspend", service.OpUnlock: "unlock", service.OpReactivate: "reactivate",
	service.OpExpirePassword: "expirePassword", service.OpResetPassword: "resetPassword",
}

func (h *Handler) userToJSON(u *store.User) UserJSON {
	self := h.orgURL + "/api/v1/users/" + u.ID
	typeID := h.userTypeID()
	links := map[string]any{
		"self": Link{Href: self},
		"type": Link{Href: h.orgURL + "/api/v1/meta/types/user/" + typeID},
	}
	// The lifecycle links come from the status machine itself, so a link
	// is offered exactly when following it is allowed.
	for op, name := range userOpLinks {
		if service.UserOpAllowed(op, u.Status) && !(op == service.OpUnlock && u.Status == store.UserActive) {
			links[name] = Link{Href: self + "/lifecycle/" + op, Hints: &Hints{Allow: []string{"POST"}}}
		}
	}
	if u.PasswordHash != "" && (u.Status == store.UserActive || u.Status == store.UserPasswordExpired) {
		links["changePassword"] = Link{Href: self + "/credentials/change_password", Hints: &Hints{Allow: []string{"POST"}}}
		links["changeRecoveryQuestion"] = Link{Href: self + "/credentials/change_recovery_question", Hints: &Hints{Allow: []string{"POST"}}}
	}
	profile := u.Profile
	if profile == nil {
		profile = map[string]any{}
	}
	return UserJSON{ID: u.ID, Status: u.Status, Created: Time{u.Created}, Activated: Time{u.Activated},
		StatusChanged: Time{u.StatusChanged}, LastLogin: Time{u.LastLogin}, LastUpdated: Time{u.LastUpdated},
		PasswordChanged: Time{u.PasswordChanged}, Type: map[string]string{"id": typeID}, Profile: profile,
		Credentials: userCredentials(u), Links: links}
}

// userRequest is the body of create and update. Unknown members are
// ignored as Okta does.
type userRequest struct {
	Profile     map[string]any `json:"profile"`
	Credentials *struct {
		Password *struct {
			Value *string         `json:"value"`
			Hash  *importHashJSON `json:"hash"`
		} `json:"password"`
		RecoveryQuestion *RecoveryQuestionJSON `json:"recovery_question"`
	} `json:"credentials"`
	GroupIDs []string `json:"groupIds"`
}

// importHashJSON is credentials.password.hash (Okta's
// PasswordCredentialHash).
type importHashJSON struct {
	Algorithm       string `json:"algorithm"`
	WorkFactor      int    `json:"workFactor"`
	Salt            string `json:"salt"`
	SaltOrder       string `json:"saltOrder"`
	Value           string `json:"value"`
	DigestAlgorithm string `json:"digestAlgorithm"`
	IterationCount  int    `json:"iterationCount"`
	KeySize         int    `json:"keySize"`
}

// importedHash checks credentials.password.hash and returns the form
// Sesame stores ("" when there is none).
func (r *userRequest) importedHash() (string, *oktaerr.Error) {
	if r.Credentials == nil || r.Credentials.Password == nil || r.Credentials.Password.Hash == nil {
		return "", nil
	}
	h := r.Credentials.Password.Hash
	stored, err := secret.StoredImportedHash(secret.ImportedHash{Algorithm: h.Algorithm, WorkFactor: h.WorkFactor, Salt: h.Salt,
		SaltOrder: h.SaltOrder, Value: h.Value, DigestAlgorithm: h.DigestAlgorithm, IterationCount: h.IterationCount, KeySize: h.KeySize})
	if ie, ok := err.(*secret.ImportError); ok {
		field := "credentials.password.hash." + ie.Field
		return "", oktaerr.Validation(field, field+": "+ie.Reason)
	}
	if err != nil {
		return "", oktaerr.Internal(err)
	}
	return stored, nil
}

func (r *userRequest) password() *string {
	if r.Credentials == nil || r.Credentials.Password == nil {
		return nil
	}
	return r.Credentials.Password.Value
}

func (r *userRequest) recovery() *service.RecoveryQuestion {
	if r.Credentials == nil {
		return nil
	}
	return r.Credentials.RecoveryQuestion.service()
}

// setsCredentials reports whether the request sets any credential, which
// is what a PUT without a profile may do.
func (r *userRequest) setsCredentials() bool {
	return r.password() != nil || r.recovery() != nil || r.Credentials != nil && r.Credentials.Password != nil && r.Credentials.Password.Hash != nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, p *principal) {
	var in userRequest
	if !readInto(w, r, &in) {
		return
	}
	activate := true
	if s := r.URL.Query().Get("activate"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			web.WriteError(w, oktaerr.Validation("activate", "activate: The value must be true or false."))
			return
		}
		activate = v
	}
	hash, werr := in.importedHash()
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	u, err := h.svc.CreateUser(r.Context(), serviceContext(r, p), service.NewUser{Profile: in.Profile, Password: in.password(), GroupIDs: in.GroupIDs,
		Recovery: in.recovery(), Hash: hash}, activate)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h.userToJSON(u))
}

// userID resolves the {id} path segment; "me" is the calling user, which
// only an API token (not a client's access token) has.
func userID(r *http.Request, p *principal) (string, *oktaerr.Error) {
	id := r.PathValue("id")
	if id == "me" {
		if p.user == nil {
			return "", oktaerr.NotFound("me", "User")
		}
		return p.user.ID, nil
	}
	return id, nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	u, err := h.svc.GetUser(r.Context(), id)
	writeOne(h, w, r, u, err, h.userToJSON)
}

func (h *Handler) updateUser(replace bool) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		id, werr := userID(r, p)
		if werr != nil {
			web.WriteError(w, werr)
			return
		}
		var in userRequest
		if !readInto(w, r, &in) {
			return
		}
		if replace && in.Profile == nil && !in.setsCredentials() {
			web.WriteError(w, oktaerr.Validation("profile", "profile: The field cannot be left blank"))
			return
		}
		hash, werr := in.importedHash()
		if werr != nil {
			web.WriteError(w, werr)
			return
		}
		u, err := h.svc.UpdateUser(r.Context(), serviceContext(r, p), id, service.UserUpdate{Profile: in.Profile, Replace: replace,
			Password: in.password(), Recovery: in.recovery(), Hash: hash})
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, h.userToJSON(u))
	}
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	if _, err := h.svc.DeleteUser(r.Context(), serviceContext(r, p), id); err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// userLifecycle answers {} for most operations, as Okta does (activation
// and reset answers would carry links to emails Sesame does not send), and
// the user for expire_password.
func (h *Handler) userLifecycle(w http.ResponseWriter, r *http.Request, p *principal) {
	op := r.PathValue("op")
	if !service.IsUserOp(op) {
		web.WriteError(w, oktaerr.PathNotFound())
		return
	}
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	if op == service.OpActivate || op == service.OpReactivate || op == service.OpResetPassword {
		h.linkLifecycle(w, r, p, id, op)
		return
	}
	if op == service.OpExpirePassword && r.URL.Query().Get("tempPassword") == "true" {
		h.expireWithTempPassword(w, r, p)
		return
	}
	u, err := h.svc.UserLifecycle(r.Context(), serviceContext(r, p), id, op)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if op == service.OpExpirePassword {
		web.WriteJSON(w, http.StatusOK, h.userToJSON(u))
		return
	}
	web.WriteJSON(w, http.StatusOK, struct{}{})
}

// linkLifecycle runs activate, reactivate and reset_password. With
// sendEmail=false the answer carries the link (Okta's activationUrl and
// activationToken, or resetPasswordUrl); otherwise the link is e-mailed
// and the answer is {}, as Okta's. When it could not be e-mailed (no
// --smtp-url, or the mail server refused) the answer carries the link as
// with sendEmail=false, so that the caller can hand it on: it is never
// silently dropped. sendEmail defaults to true, except for reactivate (as
// Okta documents).
func (h *Handler) linkLifecycle(w http.ResponseWriter, r *http.Request, p *principal, id, op string) {
	send := op != service.OpReactivate
	if v := r.URL.Query().Get("sendEmail"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			web.WriteError(w, oktaerr.Validation("sendEmail", "sendEmail: The value must be true or false."))
			return
		}
		send = b
	}
	link, err := h.svc.LinkLifecycle(r.Context(), serviceContext(r, p), id, op, send)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	switch {
	case link == nil || link.Sent:
		web.WriteJSON(w, http.StatusOK, struct{}{})
	case link.Kind == service.LinkReset:
		web.WriteJSON(w, http.StatusOK, map[string]string{"summary": "Reset password without sending email", "resetPasswordUrl": link.URL})
	default:
		web.WriteJSON(w, http.StatusOK, map[string]string{"activationUrl": link.URL, "activationToken": link.Token})
	}
}

// expireWithTempPassword answers {"tempPassword": …}, the one time the
// temporary password is shown.
func (h *Handler) expireWithTempPassword(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	temp, _, err := h.svc.ExpireWithTempPassword(r.Context(), serviceContext(r, p), id)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"tempPassword": temp})
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		Old *struct {
			Value string `json:"value"`
		} `json:"oldPassword"`
		New *struct {
			Value string `json:"value"`
		} `json:"newPassword"`
	}
	if !readInto(w, r, &in) {
		return
	}
	var oldPw, newPw string
	if in.Old != nil {
		oldPw = in.Old.Value
	}
	if in.New != nil {
		newPw = in.New.Value
	}
	u, err := h.svc.ChangePassword(r.Context(), serviceContext(r, p), id, oldPw, newPw)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, userCredentials(u))
}

// changeRecoveryQuestion is credentials/change_recovery_question: the
// current password proves the change, and the answer is the credentials.
func (h *Handler) changeRecoveryQuestion(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		Password *struct {
			Value string `json:"value"`
		} `json:"password"`
		RecoveryQuestion *RecoveryQuestionJSON `json:"recovery_question"`
	}
	if !readInto(w, r, &in) {
		return
	}
	var pw string
	if in.Password != nil {
		pw = in.Password.Value
	}
	u, err := h.svc.ChangeRecoveryQuestion(r.Context(), serviceContext(r, p), id, pw, in.RecoveryQuestion.service())
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, userCredentials(u))
}

// ---- listing ----

// userAttr reads a user attribute by its filter/search name: the top-level
// timestamps and status, id, type.id and profile.*. Unset timestamps and
// absent profile members are "not present".
func (h *Handler) userAttr(u *store.User) func(attr string) (any, bool) {
	return func(attr string) (any, bool) {
		switch attr {
		case "id":
			return u.ID, true
		case "status":
			return u.Status, true
		case "type.id":
			return h.userTypeID(), true
		case "created":
			return timeAttr(u.Created)
		case "activated":
			return timeAttr(u.Activated)
		case "statusChanged":
			return timeAttr(u.StatusChanged)
		case "lastUpdated":
			return timeAttr(u.LastUpdated)
		case "lastLogin":
			return timeAttr(u.LastLogin)
		case "passwordChanged":
			return timeAttr(u.PasswordChanged)
		}
		name, ok := strings.CutPrefix(attr, "profile.")
		if !ok {
			return nil, false
		}
		return jsonAttr(u.Profile[name])
	}
}

func timeAttr(t time.Time) (any, bool) {
	if t.IsZero() {
		return nil, false
	}
	return t, true
}

// jsonAttr converts a decoded JSON value to the types filters compare.
func jsonAttr(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string, bool:
		return x, true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
		return x, true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		f, err := x.Float64()
		return f, err == nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out, true
	}
	return nil, false
}

// qQuery is Okta's q: a case-insensitive prefix of firstName, lastName or
// email.
func qQuery(q string) *userQuery {
	q = strings.ToLower(q)
	var where []store.UserWhere
	for _, attr := range []string{store.UserAttrFirstName, store.UserAttrLastName, store.UserAttrEmail} {
		where = append(where, store.UserWhere{Attr: attr, Op: "sw", Value: q})
	}
	return &userQuery{where: store.UserWhere{Or: where}, match: func(u *store.User) bool {
		for _, k := range []string{"firstName", "lastName", "email"} {
			if s, ok := u.Profile[k].(string); ok && strings.HasPrefix(strings.ToLower(s), q) {
				return true
			}
		}
		return false
	}}
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, usersDefaultLimit, usersMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	query := r.URL.Query()
	q, filterExpr, search := query.Get("q"), query.Get("filter"), query.Get("search")
	uq := &userQuery{}
	switch {
	case search != "":
		if uq, werr = h.userSearch(search); werr != nil {
			web.WriteError(w, werr)
			return
		}
	case filterExpr != "":
		if uq, werr = h.userFilter(filterExpr); werr != nil {
			web.WriteError(w, werr)
			return
		}
	case q != "":
		uq = qQuery(q)
	}
	if !uq.withStatus {
		inner := uq.match
		uq.match = func(u *store.User) bool {
			return u.Status != store.UserDeprovisioned && (inner == nil || inner(u))
		}
		notGone := store.UserWhere{Attr: store.UserAttrStatus, Op: "ne", Value: store.UserDeprovisioned}
		if uq.where.Everyone() {
			uq.where = notGone
		} else {
			uq.where = store.UserWhere{And: []store.UserWhere{uq.where, notGone}}
		}
	}
	var users []*store.User
	var next string
	var err error
	if sortBy := query.Get("sortBy"); search != "" && sortBy != "" {
		users, werr = h.sortedPage(r, uq, sortBy, query.Get("sortOrder"), after, limit)
		if werr != nil {
			h.writeErr(w, r, werr)
			return
		}
		if len(users) == limit {
			next = users[len(users)-1].ID
		}
	} else if users, next, err = h.svc.ListUsers(r.Context(), after, limit, uq.where, uq.match); err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]UserJSON, 0, len(users))
	for _, u := range users {
		out = append(out, h.userToJSON(u))
	}
	// next may follow a short page, even an empty one: the scan stopped at
	// its read bound (service.ScanBudget) before the page was full.
	web.SetLinks(w, r, h.orgURL, limit, next)
	web.WriteJSON(w, http.StatusOK, out)
}

// sortedPage serves a search with sortBy. Sorting needs every match in
// memory (at most service.MaxSortedUsers); the cursor is still the id of
// the last user of the previous page, found again in the sorted list, so a
// user whose sort key changes between pages may be seen twice or missed.
func (h *Handler) sortedPage(r *http.Request, uq *userQuery, sortBy, order, after string, limit int) ([]*store.User, *oktaerr.Error) {
	if werr := checkSortBy(sortBy); werr != nil {
		return nil, werr
	}
	desc := false
	switch strings.ToLower(order) {
	case "", "asc", "ascending":
	case "desc", "descending":
		desc = true
	default:
		return nil, oktaerr.New(http.StatusBadRequest, oktaerr.CodeInvalidSearch, "Invalid search criteria.", "sortOrder: The value must be asc or desc.")
	}
	less := func(a, b *store.User) bool {
		va, oka := h.userAttr(a)(sortBy)
		vb, okb := h.userAttr(b)(sortBy)
		if desc {
			va, oka, vb, okb = vb, okb, va, oka
		}
		return lessAttr(va, oka, vb, okb)
	}
	all, err := h.svc.SortedUsers(r.Context(), uq.where, uq.match, less)
	if err != nil {
		if we, ok := err.(*oktaerr.Error); ok {
			return nil, we
		}
		return nil, oktaerr.Internal(fmt.Errorf("sorted user search: %w", err))
	}
	start := 0
	if after != "" {
		start = len(all)
		for i, u := range all {
			if u.ID == after {
				start = i + 1
				break
			}
		}
	}
	return all[start:min(start+limit, len(all))], nil
}

// lessAttr orders attribute values: absent ones last, then by value
// (strings case-insensitively).
func lessAttr(a any, oka bool, b any, okb bool) bool {
	if !oka || !okb {
		return oka && !okb
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && strings.ToLower(x) < strings.ToLower(y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Before(y)
	case int64:
		switch y := b.(type) {
		case int64:
			return x < y
		case float64:
			return float64(x) < y
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return x < float64(y)
		case float64:
			return x < y
		}
	case bool:
		y, ok := b.(bool)
		return ok && !x && y
	}
	return false
}
