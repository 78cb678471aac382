package oauth

import (
	"encoding/json"
	"testing"
)

// TestAnswerEncoding: the token and introspection answers are written byte
// for byte as web.WriteJSON wrote them through json.Marshal.
func TestAnswerEncoding(t *testing.T) {
	for _, r := range []TokenResponse{
		{TokenType: "Bearer", ExpiresIn: 3600, AccessToken: "eyJ.a.b", Scope: "openid profile"},
		{TokenType: "Bearer", AccessToken: "x", Scope: "", RefreshToken: "r<&>", IDToken: "id", IssuedTokenType: "urn:ietf:params:oauth:token-type:access_token"},
		{},
	} {
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); string(got) != string(want)+"\n" {
			t.Errorf("token answer\n got %s\nwant %s", got, want)
		}
	}
	for _, in := range []Introspection{
		{Active: false},
		{Active: true, TokenType: "Bearer", Scope: "a b", ClientID: "c", Username: "u@x", Exp: 2, Iat: 1, Sub: "u@x", Aud: "api://x", Iss: "https://i", JTI: "AT.1", UID: "00u"},
		{Active: true, TokenType: "refresh_token", Username: "ü\"<", Exp: -1},
	} {
		want, err := json.Marshal(&in)
		if err != nil {
			t.Fatal(err)
		}
		if got := in.appendJSON(nil); string(got) != string(want)+"\n" {
			t.Errorf("introspection\n got %s\nwant %s", got, want)
		}
	}
}
