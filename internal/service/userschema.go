package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// SchemaAttribute is one property of the user profile schema in Okta's
// shape (UserSchemaAttribute). Members the Terraform provider sends and
// reads back are kept exactly as sent, so a second plan finds no drift;
// Sesame adds only mutability, as Okta does.
type SchemaAttribute struct {
	Title             string             `json:"title"`
	Description       string             `json:"description,omitempty"`
	Type              string             `json:"type"`
	Required          bool               `json:"required,omitempty"`
	Format            string             `json:"format,omitempty"`
	Mutability        string             `json:"mutability,omitempty"`
	Scope             string             `json:"scope,omitempty"`
	MinLength         *int               `json:"minLength,omitempty"`
	MaxLength         *int               `json:"maxLength,omitempty"`
	Enum              []any              `json:"enum,omitempty"`
	OneOf             []SchemaEnumOption `json:"oneOf,omitempty"`
	Pattern           *string            `json:"pattern,omitempty"`
	Items             *SchemaItems       `json:"items,omitempty"`
	Unique            any                `json:"unique,omitempty"` // "UNIQUE_VALIDATED"/"NOT_UNIQUE" (v5 and the provider) or a boolean (v6)
	ExternalName      string             `json:"externalName,omitempty"`
	ExternalNamespace string             `json:"externalNamespace,omitempty"`
	Union             string             `json:"union,omitempty"`
	Permissions       []SchemaPermission `json:"permissions,omitempty"`
	Master            *SchemaMaster      `json:"master,omitempty"`
	pattern           *regexp.Regexp     // Pattern compiled
}

// SchemaEnumOption is one oneOf entry: a value and its display name.
type SchemaEnumOption struct {
	Const any    `json:"const"`
	Title string `json:"title"`
}

// SchemaItems describes the elements of an array property.
type SchemaItems struct {
	Type  string             `json:"type"`
	Enum  []any              `json:"enum,omitempty"`
	OneOf []SchemaEnumOption `json:"oneOf,omitempty"`
}

// SchemaPermission is who may see or change a property in self-service.
type SchemaPermission struct {
	Principal string `json:"principal"`
	Action    string `json:"action"`
}

// SchemaMaster is the profile source of a property.
type SchemaMaster struct {
	Type     string                 `json:"type"`
	Priority []SchemaMasterPriority `json:"priority,omitempty"`
}

// SchemaMasterPriority is one source in an OVERRIDE master's order.
type SchemaMasterPriority struct {
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
}

// SchemaProperty is a named property.
type SchemaProperty struct {
	Name string
	*SchemaAttribute
}

// UserSchema is the default user profile schema: Okta's base properties
// (fixed) and the org's custom ones.
type UserSchema struct {
	Base        []SchemaProperty
	Custom      []SchemaProperty
	Created     time.Time
	LastUpdated time.Time
}

// baseSchema is Okta's base user profile as Sesame enforces it: titles,
// formats and self-service permissions as Okta's default schema shows them,
// lengths as validateProfile checks them.
var baseSchema []SchemaProperty

func init() {
	for _, b := range []struct{ name, title, format, action string }{
		{"login", "Username", "", "READ_ONLY"}, {"firstName", "First name", "", "READ_WRITE"},
		{"lastName", "Last name", "", "READ_WRITE"}, {"middleName", "Middle name", "", "READ_ONLY"},
		{"honorificPrefix", "Honorific prefix", "", "READ_ONLY"}, {"honorificSuffix", "Honorific suffix", "", "READ_ONLY"},
		{"email", "Primary email", "email", "READ_WRITE"}, {"title", "Title", "", "READ_ONLY"},
		{"displayName", "Display name", "", "READ_ONLY"}, {"nickName", "Nickname", "", "READ_ONLY"},
		{"profileUrl", "Profile Url", "uri", "READ_ONLY"}, {"secondEmail", "Secondary email", "email", "READ_WRITE"},
		{"mobilePhone", "Mobile phone", "", "READ_WRITE"}, {"primaryPhone", "Primary phone", "", "HIDE"},
		{"streetAddress", "Street address", "", "HIDE"}, {"city", "City", "", "HIDE"}, {"state", "State", "", "HIDE"},
		{"zipCode", "Zip code", "", "HIDE"}, {"countryCode", "Country code", "country-code", "HIDE"},
		{"postalAddress", "Postal Address", "", "HIDE"}, {"preferredLanguage", "Preferred language", "language-code", "READ_ONLY"},
		{"locale", "Locale", "locale", "READ_ONLY"}, {"timezone", "Time zone", "timezone", "READ_ONLY"},
		{"userType", "User type", "", "READ_ONLY"}, {"employeeNumber", "Employee number", "", "READ_ONLY"},
		{"costCenter", "Cost center", "", "READ_ONLY"}, {"organization", "Organization", "", "READ_ONLY"},
		{"division", "Division", "", "READ_ONLY"}, {"department", "Department", "", "READ_ONLY"},
		{"managerId", "ManagerId", "", "READ_ONLY"}, {"manager", "Manager", "", "READ_ONLY"},
	} {
		a := &SchemaAttribute{Title: b.title, Type: "string", Format: b.format, Mutability: "READ_WRITE", Scope: "NONE",
			MaxLength: ptr(maxAttrLen), Permissions: []SchemaPermission{{Principal: "SELF", Action: b.action}},
			Master: &SchemaMaster{Type: "PROFILE_MASTER"}}
		if slices.Contains(requiredProfile, b.name) {
			a.Required, a.MinLength = true, ptr(1)
		}
		if max, ok := shortAttrs[b.name]; ok {
			a.MaxLength = ptr(max)
		}
		baseSchema = append(baseSchema, SchemaProperty{Name: b.name, SchemaAttribute: a})
	}
}

func ptr[T any](v T) *T { return &v }

// shortAttrs are the base attributes with a shorter limit than maxAttrLen.
var shortAttrs = map[string]int{"login": 100, "firstName": 100, "lastName": 100}

// customName is what Okta accepts as a custom property's variable name.
var customName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)

// GetUserSchema returns the default user schema.
func (s *Service) GetUserSchema(ctx context.Context) (*UserSchema, error) {
	return s.userSchema(ctx, s.Store)
}

func (s *Service) userSchema(ctx context.Context, st store.Store) (*UserSchema, error) {
	props, err := st.UserSchema().List(ctx)
	if err != nil {
		return nil, err
	}
	us := &UserSchema{Base: baseSchema}
	if snap := s.Cache.Current(); snap != nil && snap.Org != nil {
		us.Created, us.LastUpdated = snap.Org.Created, snap.Org.Created
	}
	for _, p := range props {
		var a SchemaAttribute
		if err := json.Unmarshal(p.Definition, &a); err != nil {
			return nil, fmt.Errorf("user schema property %s: %w", p.Name, err)
		}
		if a.Pattern != nil {
			a.pattern, _ = regexp.Compile(anchored(*a.Pattern))
		}
		us.Custom = append(us.Custom, SchemaProperty{Name: p.Name, SchemaAttribute: &a})
		if p.LastUpdated.After(us.LastUpdated) {
			us.LastUpdated = p.LastUpdated
		}
	}
	return us, nil
}

// custom returns the custom properties by name.
func (us *UserSchema) custom() map[string]*SchemaAttribute {
	m := make(map[string]*SchemaAttribute, len(us.Custom))
	for _, p := range us.Custom {
		m[p.Name] = p.SchemaAttribute
	}
	return m
}

// anchored makes a property's pattern match the whole value, as JSON
// Schema patterns in Okta's profiles do.
func anchored(p string) string { return `^(?:` + p + `)$` }

// UserSchemaChange is a partial update of the schema: each named custom
// property is added or replaced, or removed when its value is nil (the
// JSON null Okta and the Terraform provider send to delete one).
type UserSchemaChange struct {
	Custom map[string]*SchemaAttribute
	// Base names the base properties the request tried to change.
	Base []string
}

func schemaError(causes ...string) *oktaerr.Error {
	return oktaerr.Validation("userSchema", causes...)
}

// UpdateUserSchema applies a partial update and returns the whole schema.
// Removing a property removes its values from every profile, as Okta does
// (Okta in the background, Sesame in the same transaction).
func (s *Service) UpdateUserSchema(ctx context.Context, c Context, ch UserSchemaChange) (*UserSchema, error) {
	if len(ch.Base) > 0 {
		slices.Sort(ch.Base)
		return nil, schemaError("Base properties cannot be changed in Sesame: " + strings.Join(ch.Base, ", "))
	}
	names := make([]string, 0, len(ch.Custom))
	for name, a := range ch.Custom {
		names = append(names, name)
		if a == nil {
			continue
		}
		if err := checkSchemaAttribute(name, a); err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	var out *UserSchema
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		now := s.now()
		for _, name := range names {
			a := ch.Custom[name]
			if a == nil {
				err := tx.UserSchema().Delete(ctx, name)
				if errors.Is(err, store.ErrNotFound) {
					continue // Okta answers 200 for a property that is already gone
				}
				if err != nil {
					return err
				}
				if _, err := tx.Users().DropAttribute(ctx, name); err != nil {
					return err
				}
				continue
			}
			def, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if err := tx.UserSchema().Put(ctx, &store.UserSchemaProperty{Name: name, Definition: def, Created: now, LastUpdated: now}); err != nil {
				return err
			}
		}
		var err error
		out, err = s.userSchema(ctx, tx)
		return err
	})
	return out, err
}

var schemaTypes = []string{"string", "boolean", "number", "integer", "array"}

// checkSchemaAttribute validates a custom property and fills Okta's
// defaults for what the request left out.
func checkSchemaAttribute(name string, a *SchemaAttribute) error {
	var causes []string
	bad := func(format string, args ...any) { causes = append(causes, fmt.Sprintf(format, args...)) }
	if !customName.MatchString(name) {
		bad("Variable name %q must start with a letter and contain only letters, digits and underscores (at most 100).", name)
	}
	if standardProfile[name] {
		bad("Property name '%s' is a base property.", name)
	}
	if strings.TrimSpace(a.Title) == "" {
		bad("%s: The title cannot be left blank.", name)
	}
	if !slices.Contains(schemaTypes, a.Type) {
		bad("%s: The type must be one of string, boolean, number, integer, array.", name)
	}
	if a.Type == "array" {
		if a.Items == nil || !slices.Contains([]string{"string", "number", "integer", "boolean"}, a.Items.Type) {
			bad("%s: An array property needs items.type string, number, integer or boolean.", name)
		} else {
			for _, v := range a.Items.Enum {
				if !valueOfType(a.Items.Type, v) {
					bad("%s: items.enum value %v is not of type %s.", name, v, a.Items.Type)
				}
			}
			for _, o := range a.Items.OneOf {
				if !valueOfType(a.Items.Type, o.Const) {
					bad("%s: items.oneOf const %v is not of type %s.", name, o.Const, a.Items.Type)
				}
			}
		}
	} else if a.Items != nil {
		bad("%s: items is for array properties only.", name)
	}
	if slices.Contains(schemaTypes, a.Type) && a.Type != "array" {
		for _, v := range a.Enum {
			if !valueOfType(a.Type, v) {
				bad("%s: enum value %v is not of type %s.", name, v, a.Type)
			}
		}
		for _, o := range a.OneOf {
			if !valueOfType(a.Type, o.Const) {
				bad("%s: oneOf const %v is not of type %s.", name, o.Const, a.Type)
			} else if len(a.Enum) > 0 && !slices.ContainsFunc(a.Enum, func(v any) bool { return reflect.DeepEqual(v, o.Const) }) {
				bad("%s: oneOf const %v is not in enum.", name, o.Const)
			}
		}
	}
	if (a.MinLength != nil || a.MaxLength != nil) && a.Type != "string" {
		bad("%s: minLength and maxLength are for string properties only.", name)
	}
	if a.MinLength != nil && (*a.MinLength < 0 || a.MaxLength != nil && *a.MinLength > *a.MaxLength) {
		bad("%s: minLength must be between 0 and maxLength.", name)
	}
	if a.MaxLength != nil && *a.MaxLength < 1 {
		bad("%s: maxLength must be positive.", name)
	}
	if a.Pattern != nil {
		re, err := regexp.Compile(anchored(*a.Pattern))
		if err != nil || a.Type != "string" {
			bad("%s: pattern must be a regular expression, on a string property.", name)
		}
		a.pattern = re
	}
	switch a.Unique {
	case nil, "NOT_UNIQUE", false:
	case "UNIQUE_VALIDATED", true:
		bad("%s: unique UNIQUE_VALIDATED is not supported by Sesame.", name)
	default:
		bad("%s: unique must be UNIQUE_VALIDATED or NOT_UNIQUE.", name)
	}
	switch a.Scope {
	case "":
		a.Scope = "NONE"
	case "NONE", "SELF":
	default:
		bad("%s: scope must be NONE or SELF.", name)
	}
	if len(a.Permissions) == 0 {
		a.Permissions = []SchemaPermission{{Principal: "SELF", Action: "READ_ONLY"}}
	}
	for _, p := range a.Permissions {
		if p.Principal != "SELF" || !slices.Contains([]string{"READ_ONLY", "READ_WRITE", "HIDE"}, p.Action) {
			bad("%s: permissions are {principal SELF, action READ_ONLY, READ_WRITE or HIDE}.", name)
		}
	}
	if a.Master == nil {
		a.Master = &SchemaMaster{Type: "PROFILE_MASTER"}
	}
	if !slices.Contains([]string{"PROFILE_MASTER", "OKTA", "OVERRIDE"}, a.Master.Type) {
		bad("%s: master.type must be PROFILE_MASTER, OKTA or OVERRIDE.", name)
	}
	a.Mutability = "READ_WRITE"
	if len(causes) > 0 {
		return schemaError(causes...)
	}
	return nil
}

// valueOfType reports whether a decoded JSON value is of a schema type.
func valueOfType(typ string, v any) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && math.Abs(f) < 1<<53
	}
	return false
}

// checkCustomValue checks one custom attribute's value against its
// property; it returns the cause, or "".
func checkCustomValue(name string, a *SchemaAttribute, v any) string {
	if a.Type == "array" {
		arr, ok := v.([]any)
		if !ok {
			return name + ": The field must be an array."
		}
		for _, e := range arr {
			if !valueOfType(a.Items.Type, e) {
				return fmt.Sprintf("%s: Every element must be of type %s.", name, a.Items.Type)
			}
			if !inEnum(a.Items.Enum, a.Items.OneOf, e) {
				return name + ": Does not match one of the enumerated values"
			}
		}
		return ""
	}
	if !valueOfType(a.Type, v) {
		return fmt.Sprintf("%s: The field must be of type %s.", name, a.Type)
	}
	if !inEnum(a.Enum, a.OneOf, v) {
		return name + ": Does not match one of the enumerated values"
	}
	if s, ok := v.(string); ok {
		n := utf8.RuneCountInString(s)
		if a.MinLength != nil && n < *a.MinLength {
			return name + ": The field is too short."
		}
		if a.MaxLength != nil && n > *a.MaxLength || n > maxAttrLen*10 {
			return name + ": The field is too long."
		}
		if a.pattern != nil && !a.pattern.MatchString(s) {
			return name + ": Does not match required pattern"
		}
	}
	return ""
}

// inEnum reports whether v is allowed by an enum and oneOf (either, when
// both are empty).
func inEnum(enum []any, oneOf []SchemaEnumOption, v any) bool {
	if len(enum) == 0 && len(oneOf) == 0 {
		return true
	}
	for _, e := range enum {
		if reflect.DeepEqual(e, v) {
			return true
		}
	}
	for _, o := range oneOf {
		if reflect.DeepEqual(o.Const, v) {
			return true
		}
	}
	return false
}
