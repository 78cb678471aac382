package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// splitExtraTwoPass is splitExtra as it was: the document decoded a second
// time into a map. The one-pass splitExtra must give the same result.
func splitExtraTwoPass(b []byte, v any, known ...string) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for name := range m {
		for _, k := range known {
			if strings.EqualFold(name, k) {
				delete(m, name)
				break
			}
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

var splitExtraSeeds = []string{
	`{}`, `null`, `[]`, `"x"`, `1`, `{"a":1}`, ` { "a" : 1 , "b" : [ 1 , { "c" : "}" } ] } `,
	`{"application_type":"web","redirect_uris":["https://a.example.com/cb"],"future":{"x":[1,2,{"y":"\"}]"}]}}`,
	`{"Application_Type":"web","application_type":"service","APPLICATION_TYPE":1}`,
	`{"\u0061pplication_type":"web","n\u00e9w":true,"\ud83d\ude00":null,"a\\b":"c\\"}`,
	"{\"\xff\xfe\":1,\"ok\":2}", "{\"caf\xc3\xa9\":false}",
	`{"x":1,"x":2,"X":3}`, `{"network":{"connection":"ANYWHERE"},"Network":{"include":["a"]}}`,
	`{"grant_types":"notalist"}`, `{"jwks":{"keys":[{"kty":"RSA","kid":"k1","id":"pks1"}]},"jwks_uri":""}`,
	`{"a":-1.5e+3,"b":true,"c":false,"d":null,"e":"","f":{},"g":[]}`,
	"{\n\t\"a\"\r\n:\t{\"b\" :\n[\"c\"]}\n}",
	`{"dpop_bound_access_tokens":true,"refresh_token":{"rotation_type":"ROTATE","leeway":30},"extra":"\u2028"}`,
}

func FuzzSplitExtraMatchesTwoPass(f *testing.F) {
	for _, s := range splitExtraSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		type plain OAuthClientSettings
		var got, want plain
		gotExtra, gotErr := splitExtra(b, &got, oauthClientNames...)
		wantExtra, wantErr := splitExtraTwoPass(b, &want, oauthClientNames...)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, two-pass %v", b, gotErr, wantErr)
		}
		if gotErr != nil {
			if gotErr.Error() != wantErr.Error() {
				t.Fatalf("%q: error %q, two-pass %q", b, gotErr, wantErr)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decoded %+v, two-pass %+v", b, got, want)
		}
		if len(gotExtra) != len(wantExtra) || (gotExtra == nil) != (wantExtra == nil) {
			t.Fatalf("%q: extra %q, two-pass %q", b, gotExtra, wantExtra)
		}
		for k, v := range wantExtra {
			if g, ok := gotExtra[k]; !ok || !bytes.Equal(g, v) {
				t.Fatalf("%q: extra[%q] = %q, two-pass %q", b, k, g, v)
			}
		}
		// The settings document's own members (known: oauthClient only).
		var gs, ws map[string]any
		gx, ge := splitExtra(b, &gs, "oauthClient")
		wx, we := splitExtraTwoPass(b, &ws, "oauthClient")
		if (ge == nil) != (we == nil) || !reflect.DeepEqual(gx, wx) {
			t.Fatalf("%q: extra %q (%v), two-pass %q (%v)", b, gx, ge, wx, we)
		}
	})
}

// The whole documents, decoded and encoded again, as the store and the API
// do: the same bytes whichever way the extras were found.
func TestSettingsDecodeEncodeStable(t *testing.T) {
	for _, in := range []string{
		`{"oauthClient":{"application_type":"web","redirect_uris":["https://a.example.com/cb"],"future":{"x":1},"Future":2},"app":{"k":"v"},"notifications":{"vpn":{"network":{"connection":"DISABLED"}}}}`,
		`{"oauthClient":{"jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"k","id":"pks1","status":"ACTIVE","Created":"x"}]}},"\u006eotes":{"admin":"\"}"}}`,
		`{"OAUTHCLIENT":{"application_type":"browser"},"implicitAssignment":false}`,
	} {
		var s AppSettings
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back AppSettings
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("%s\nencodes as %s\nthen as    %s", in, out, again)
		}
	}
}
