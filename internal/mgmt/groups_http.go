package mgmt

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/sesame-idp/sesame/internal/filter"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Page sizes (§4.0): Okta lists up to 10000 groups at once and 1000 members.
const (
	groupsDefaultLimit  = 10000
	groupsMaxLimit      = 10000
	membersDefaultLimit = 1000
	membersMaxLimit     = 1000
)

func (h *Handler) registerGroups(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/groups", h.auth("okta.groups.read", h.listGroups))
	mux.Handle("POST /api/v1/groups", h.auth("okta.groups.manage", h.createGroup))
	mux.Handle("GET /api/v1/groups/{groupId}", h.auth("okta.groups.read", h.getGroup))
	mux.Handle("PUT /api/v1/groups/{groupId}", h.auth("okta.groups.manage", h.replaceGroup))
	mux.Handle("DELETE /api/v1/groups/{groupId}", h.auth("okta.groups.manage", h.deleteGroup))
	mux.Handle("GET /api/v1/groups/{groupId}/users", h.auth("okta.groups.read", h.listGroupMembers))
	mux.Handle("PUT /api/v1/groups/{groupId}/users/{userId}", h.auth("okta.groups.manage", h.addGroupMember))
	mux.Handle("DELETE /api/v1/groups/{groupId}/users/{userId}", h.auth("okta.groups.manage", h.removeGroupMember))
	mux.Handle("GET /api/v1/users/{userId}/groups", h.auth("okta.users.read", h.listUserGroups))
}

// GroupJSON is the group object of /api/v1/groups (§4.8).
type GroupJSON struct {
	ID                    string           `json:"id"`
	Created               Time             `json:"created"`
	LastUpdated           Time             `json:"lastUpdated"`
	LastMembershipUpdated Time             `json:"lastMembershipUpdated"`
	ObjectClass           []string         `json:"objectClass"`
	Type                  string           `json:"type"`
	Profile               GroupProfileJSON `json:"profile"`
	Links                 map[string]any   `json:"_links"`
}

// GroupProfileJSON is a group's profile; Okta answers null for a group
// created without a description. Custom attributes are members beside
// name and description.
type GroupProfileJSON struct {
	Name        string         `json:"name"`
	Description *string        `json:"description"`
	Custom      map[string]any `json:"-"`
}

func (p GroupProfileJSON) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(p.Custom)+2)
	for k, v := range p.Custom {
		m[k] = v
	}
	m["name"], m["description"] = p.Name, p.Description
	return json.Marshal(m)
}

func (p *GroupProfileJSON) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var known struct {
		Name        string  `json:"name"`
		Description *string `json:"description"`
	}
	if err := json.Unmarshal(b, &known); err != nil {
		return err
	}
	delete(m, "name")
	delete(m, "description")
	p.Name, p.Description, p.Custom = known.Name, known.Description, m
	return nil
}

func (h *Handler) groupToJSON(g *store.Group) GroupJSON {
	base := h.orgURL + "/api/v1/groups/" + url.PathEscape(g.ID)
	var desc *string
	if g.Description != "" {
		desc = &g.Description
	}
	logo := h.orgURL + "/img/logos/groups/okta-"
	return GroupJSON{ID: g.ID, Created: Time{g.Created}, LastUpdated: Time{g.LastUpdated}, LastMembershipUpdated: Time{g.LastMembershipUpdated},
		// Okta gives the built-in Everyone the same object class as any group.
		ObjectClass: []string{"okta:user_group"}, Type: g.Type,
		Profile: GroupProfileJSON{Name: g.Name, Description: desc, Custom: g.Profile},
		Links: map[string]any{
			"logo": []Link{{Name: "medium", Href: logo + "medium.png", Type: "image/png"},
				{Name: "large", Href: logo + "large.png", Type: "image/png"}},
			"users": Link{Href: base + "/users"},
			"apps":  Link{Href: base + "/apps"},
		}}
}

// groupFromRequest decodes {"profile":{"name","description",…custom}};
// members outside the profile (id, type, _links…) are ignored as Okta does.
func groupFromRequest(body []byte) (*store.Group, *oktaerr.Error) {
	var in struct {
		Profile *GroupProfileJSON `json:"profile"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, oktaerr.MalformedBody()
	}
	if in.Profile == nil {
		return nil, oktaerr.Validation("profile", "profile: The field cannot be left blank")
	}
	g := &store.Group{Name: in.Profile.Name}
	if d := in.Profile.Description; d != nil {
		g.Description = *d
	}
	if len(in.Profile.Custom) > 0 {
		g.Profile = in.Profile.Custom
	}
	return g, nil
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, groupsDefaultLimit, groupsMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	query := r.URL.Query()
	match, werr := groupMatcher(query)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	// filter and search test groups in memory, as the service's Scan reads
	// them: at most service.ScanBudget groups per request, so a page may
	// end short (even empty) with a next link where the reading stopped.
	var groups []*store.Group
	var last *store.Group
	var more bool
	var err error
	ctx := r.Context()
	if q := query.Get("q"); q != "" {
		// q seeks the folded-name index: pages follow the names, and the
		// cursor holds the position in that order.
		cursor, ok := decodeGroupCursor(after)
		if !ok {
			web.WriteError(w, oktaerr.Validation("after", "after: The cursor is not valid."))
			return
		}
		groups, last, more, err = service.Scan(limit, limit, func(from **store.Group, n int) ([]*store.Group, error) {
			if from != nil {
				cursor = groupCursor(*from)
			}
			return h.svc.GroupsNamed(ctx, q, cursor, n)
		}, match)
	} else {
		groups, last, more, err = service.Scan(limit, limit, func(from **store.Group, n int) ([]*store.Group, error) {
			if from != nil {
				after = (*from).ID
			}
			return h.svc.ListGroups(ctx, store.Page{After: after, Limit: n})
		}, match)
	}
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	next := ""
	if more {
		next = last.ID
		if query.Get("q") != "" {
			next = encodeGroupCursor(groupCursor(last))
		}
	}
	web.SetLinks(w, r, h.orgURL, limit, next)
	writeList(h, w, r, groups, nil, h.groupToJSON)
}

func groupCursor(g *store.Group) store.GroupCursor {
	return store.GroupCursor{Key: store.GroupNameKey(g.Name), ID: g.ID}
}

// encodeGroupCursor writes a position among the groups a q selects: the
// folded name, base64url-encoded to stay printable, a dot and the id.
func encodeGroupCursor(c store.GroupCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.Key)) + "." + c.ID
}

// decodeGroupCursor reads encodeGroupCursor; "" is the start.
func decodeGroupCursor(s string) (store.GroupCursor, bool) {
	if s == "" {
		return store.GroupCursor{}, true
	}
	k, id, ok := strings.Cut(s, ".")
	key, err := base64.RawURLEncoding.DecodeString(k)
	if !ok || err != nil || id == "" || !utf8.Valid(key) {
		return store.GroupCursor{}, false
	}
	return store.GroupCursor{Key: string(key), ID: id}, true
}

// Attributes a group list may filter (filter) and search (search) on.
var (
	groupFilterAttrs = []string{"id", "type", "lastUpdated", "lastMembershipUpdated"}
	groupSearchAttrs = append([]string{"profile.name", "profile.description", "created"}, groupFilterAttrs...)
)

// groupMatcher builds the test of the list's filter and search; a group
// is listed when it passes both that are given. nil when neither is.
func groupMatcher(query url.Values) (func(*store.Group) bool, *oktaerr.Error) {
	var exprs []filter.Expr
	for _, p := range []struct {
		param   string
		allowed []string
	}{{"filter", groupFilterAttrs}, {"search", groupSearchAttrs}} {
		if s := query.Get(p.param); s != "" {
			e, werr := filter.Parse(s, p.allowed)
			if werr != nil {
				return nil, werr
			}
			exprs = append(exprs, e)
		}
	}
	if len(exprs) == 0 {
		return nil, nil
	}
	return func(g *store.Group) bool {
		get := groupGetter(g)
		for _, e := range exprs {
			if !e.Match(get) {
				return false
			}
		}
		return true
	}, nil
}

func groupGetter(g *store.Group) filter.Getter {
	return func(attr string) (any, bool) {
		switch attr {
		case "id":
			return g.ID, true
		case "type":
			return g.Type, true
		case "created":
			return g.Created, true
		case "lastUpdated":
			return g.LastUpdated, true
		case "lastMembershipUpdated":
			return g.LastMembershipUpdated, true
		case "profile.name":
			return g.Name, true
		case "profile.description":
			return g.Description, g.Description != ""
		}
		return nil, false
	}
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, groupFromRequest, func(g *store.Group) error {
		return h.svc.CreateGroup(r.Context(), serviceContext(r, p), g)
	}, h.groupToJSON)
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, p *principal) {
	g, err := h.svc.GetGroup(r.Context(), r.PathValue("groupId"))
	writeOne(h, w, r, g, err, h.groupToJSON)
}

func (h *Handler) replaceGroup(w http.ResponseWriter, r *http.Request, p *principal) {
	g, ok := readJSON(w, r, groupFromRequest)
	if !ok {
		return
	}
	g.ID = r.PathValue("groupId")
	updated, err := h.svc.UpdateGroup(r.Context(), serviceContext(r, p), g)
	writeOne(h, w, r, updated, err, h.groupToJSON)
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteGroup(r.Context(), serviceContext(r, p), r.PathValue("groupId")))
}

func (h *Handler) listGroupMembers(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, membersDefaultLimit, membersMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	users, err := h.svc.ListGroupMembers(r.Context(), r.PathValue("groupId"), store.Page{After: after, Limit: limit})
	writePage(h, w, r, limit, users, err, func(u *store.User) string { return u.ID }, h.userToJSON)
}

func (h *Handler) addGroupMember(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.AddGroupMember(r.Context(), serviceContext(r, p), r.PathValue("groupId"), r.PathValue("userId")))
}

func (h *Handler) removeGroupMember(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.RemoveGroupMember(r.Context(), serviceContext(r, p), r.PathValue("groupId"), r.PathValue("userId")))
}

func (h *Handler) listUserGroups(w http.ResponseWriter, r *http.Request, p *principal) {
	groups, err := h.svc.UserGroups(r.Context(), r.PathValue("userId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]GroupJSON, 0, len(groups))
	for _, g := range groups {
		out = append(out, h.groupToJSON(g))
	}
	web.WriteJSON(w, http.StatusOK, out)
}
