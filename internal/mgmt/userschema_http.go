package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/web"
)

// The user profile schema and the user type. Sesame has one user type, the
// default, and so one schema; both answer to "default" and to their Okta
// ids, which are derived from the org id (userTypeID, userSchemaID).
func (h *Handler) registerUserSchema(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/meta/schemas/user/{schemaId}", h.auth("okta.schemas.read", h.getUserSchema))
	mux.Handle("POST /api/v1/meta/schemas/user/{schemaId}", h.auth("okta.schemas.manage", h.updateUserSchema))
	mux.Handle("GET /api/v1/meta/types/user", h.auth("okta.userTypes.read", h.listUserTypes))
	mux.Handle("GET /api/v1/meta/types/user/{typeId}", h.auth("okta.userTypes.read", h.getUserType))
}

// userSchemaID is the default schema's Okta id ("osc…"), the type's id
// with the schema prefix.
func (h *Handler) userSchemaID() string { return "osc" + h.userTypeID()[3:] }

// knownSchema resolves a schema id of the path; false answered 404.
func (h *Handler) knownSchema(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PathValue("schemaId"); id != "default" && id != h.userSchemaID() {
		web.WriteError(w, oktaerr.NotFound(id, "UserSchema"))
		return false
	}
	return true
}

// schemaLink is a HAL link with its rel and method, the form Okta gives
// the schema's and the type's links.
type schemaLink struct {
	Rel    string `json:"rel"`
	Href   string `json:"href"`
	Method string `json:"method"`
}

// schemaDefinition is definitions.base or definitions.custom.
type schemaDefinition struct {
	ID         string                              `json:"id"`
	Type       string                              `json:"type"`
	Properties map[string]*service.SchemaAttribute `json:"properties"`
	Required   []string                            `json:"required"`
}

func definition(id string, props []service.SchemaProperty) schemaDefinition {
	d := schemaDefinition{ID: id, Type: "object", Properties: map[string]*service.SchemaAttribute{}, Required: []string{}}
	for _, p := range props {
		d.Properties[p.Name] = p.SchemaAttribute
		if p.Required {
			d.Required = append(d.Required, p.Name)
		}
	}
	return d
}

func (h *Handler) userSchemaJSON(us *service.UserSchema) map[string]any {
	return map[string]any{
		"id":          h.orgURL + "/meta/schemas/user/default",
		"$schema":     "http://json-schema.org/draft-04/schema#",
		"name":        "user",
		"title":       "User",
		"description": "Okta user profile template with default permission settings",
		"created":     Time{us.Created},
		"lastUpdated": Time{us.LastUpdated},
		"definitions": map[string]any{
			"custom": definition("#custom", us.Custom),
			"base":   definition("#base", us.Base),
		},
		"type": "object",
		"properties": map[string]any{
			"profile": map[string]any{"allOf": []map[string]string{{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}}},
		},
		"_links": map[string]any{
			"self": schemaLink{Rel: "self", Href: h.orgURL + "/api/v1/meta/schemas/user/" + h.userSchemaID(), Method: "GET"},
			"type": schemaLink{Rel: "type", Href: h.orgURL + "/api/v1/meta/types/user/" + h.userTypeID(), Method: "GET"},
		},
	}
}

func (h *Handler) getUserSchema(w http.ResponseWriter, r *http.Request, p *principal) {
	if !h.knownSchema(w, r) {
		return
	}
	us, err := h.svc.GetUserSchema(r.Context())
	writeOne(h, w, r, us, err, h.userSchemaJSON)
}

// userSchemaRequest is a partial schema: the properties named under
// definitions.custom are added, replaced or (null) removed. Everything
// else in the body is ignored, as Okta ignores it.
type userSchemaRequest struct {
	Definitions *struct {
		Custom *struct {
			Properties map[string]*service.SchemaAttribute `json:"properties"`
		} `json:"custom"`
		Base *struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"base"`
	} `json:"definitions"`
}

func (h *Handler) updateUserSchema(w http.ResponseWriter, r *http.Request, p *principal) {
	if !h.knownSchema(w, r) {
		return
	}
	var req userSchemaRequest
	if !readInto(w, r, &req) {
		return
	}
	ch := service.UserSchemaChange{Custom: map[string]*service.SchemaAttribute{}}
	if d := req.Definitions; d != nil {
		if d.Custom != nil {
			ch.Custom = d.Custom.Properties
		}
		if d.Base != nil {
			for name := range d.Base.Properties {
				ch.Base = append(ch.Base, name)
			}
		}
	}
	us, err := h.svc.UpdateUserSchema(r.Context(), serviceContext(r, p), ch)
	writeOne(h, w, r, us, err, h.userSchemaJSON)
}

func (h *Handler) userTypeJSON() map[string]any {
	var created Time
	if snap := h.svc.Cache.Current(); snap != nil && snap.Org != nil {
		created = Time{snap.Org.Created}
	}
	return map[string]any{
		"id":          h.userTypeID(),
		"displayName": "User",
		"name":        "user",
		"description": "Okta user profile template with default permission settings",
		"created":     created,
		"lastUpdated": created,
		"default":     true,
		"_links": map[string]any{
			"schema": schemaLink{Rel: "schema", Href: h.orgURL + "/api/v1/meta/schemas/user/" + h.userSchemaID(), Method: "GET"},
			"self":   schemaLink{Rel: "self", Href: h.orgURL + "/api/v1/meta/types/user/" + h.userTypeID(), Method: "GET"},
		},
	}
}

func (h *Handler) listUserTypes(w http.ResponseWriter, r *http.Request, p *principal) {
	web.WriteJSON(w, http.StatusOK, []any{h.userTypeJSON()})
}

func (h *Handler) getUserType(w http.ResponseWriter, r *http.Request, p *principal) {
	if id := r.PathValue("typeId"); id != "default" && id != h.userTypeID() {
		web.WriteError(w, oktaerr.NotFound(id, "UserType"))
		return
	}
	web.WriteJSON(w, http.StatusOK, h.userTypeJSON())
}
