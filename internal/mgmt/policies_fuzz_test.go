package mgmt

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzRuleFromRequest checks that no body panics the rule and policy
// decoders and that what they accept renders to JSON that decodes back to
// the same record, so a client reading a rule and sending it back changes
// nothing.
func FuzzRuleFromRequest(f *testing.F) {
	for _, s := range []string{
		`{"type":"RESOURCE_ACCESS","name":"r","priority":2,"conditions":{"people":{"users":{},"groups":{"include":["EVERYONE"]}},
		  "grantTypes":{"include":["client_credentials"]},"scopes":{}},"actions":{"token":{"accessTokenLifetimeMinutes":15}}}`,
		`{"name":"p","conditions":{"clients":{"include":["ALL_CLIENTS"]}}}`,
		`{"conditions":{"people":null,"scopes":{"include":null}}}`, `{"priority":1e99}`, `null`, `[]`, `{`, `{"conditions":{"grantTypes":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	h := &Handler{orgURL: "https://org.example.com"}
	f.Fuzz(func(t *testing.T, body []byte) {
		if r, werr := ruleFromRequest(body); werr == nil {
			r.ServerID, r.PolicyID, r.ID = "default", "00p1", "0pr1"
			out, err := json.Marshal(h.ruleToJSON(r))
			if err != nil {
				t.Fatal(err)
			}
			back, werr := ruleFromRequest(out)
			if werr != nil {
				t.Fatalf("rendered rule does not decode: %s", out)
			}
			back.ServerID, back.PolicyID, back.ID = r.ServerID, r.PolicyID, r.ID
			if !reflect.DeepEqual(r, back) {
				t.Fatalf("round trip changed the rule\n%+v\n%+v", r, back)
			}
		}
		if p, werr := policyFromRequest(body); werr == nil {
			p.ServerID, p.ID = "default", "00p1"
			out, _ := json.Marshal(h.policyToJSON(p))
			back, werr := policyFromRequest(out)
			if werr != nil {
				t.Fatalf("rendered policy does not decode: %s", out)
			}
			back.ServerID, back.ID = p.ServerID, p.ID
			if p.ClientsInclude == nil {
				p.ClientsInclude = []string{}
			}
			if !reflect.DeepEqual(p, back) {
				t.Fatalf("round trip changed the policy\n%+v\n%+v", p, back)
			}
		}
	})
}
