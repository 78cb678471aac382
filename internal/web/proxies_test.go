package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestParseProxies(t *testing.T) {
	p, err := ParseProxies(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,")
	if err != nil || len(p) != 3 {
		t.Fatalf("ParseProxies = %v, %v", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.1/", "1.2.3"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q): no error", bad)
		}
	}
	if p, err := ParseProxies(""); err != nil || len(p) != 0 {
		t.Errorf("ParseProxies(\"\") = %v, %v", p, err)
	}
}

// TestProxiesClientAddress: forwarding headers count only from a trusted
// peer, and then only up to the first address that is not a trusted proxy.
func TestProxiesClientAddress(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		hdr        http.Header
		ip, scheme string
		host       string
	}{
		{"no headers, untrusted peer", "203.0.113.5:1234", nil, "203.0.113.5", "http", "sesame.test"},
		{"spoofed XFF from an untrusted peer", "203.0.113.5:1234", http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil.test"}},
			"203.0.113.5", "http", "sesame.test"},
		{"one trusted proxy", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1", "http", "sesame.test"},
		{"client-written addresses left of the real client", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"1.1.1.1, 198.51.100.1", "10.9.9.9"}},
			"198.51.100.1", "http", "sesame.test"},
		{"only proxies: the left-most", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"10.0.0.7, 10.0.0.8"}}, "10.0.0.7", "http", "sesame.test"},
		{"garbage ends the chain", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"198.51.100.1, not-an-ip"}}, "10.1.2.3", "http", "sesame.test"},
		{"proto and host from the nearest proxy", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"http, HTTPS"}, "X-Forwarded-Host": {"idp.example.com"}},
			"198.51.100.1", "https", "idp.example.com"},
		{"a host with odd characters is ignored", "10.1.2.3:80", http.Header{"X-Forwarded-Host": {"idp.example.com/<x>"}}, "10.1.2.3", "http", "sesame.test"},
		{"RFC 7239 with IPv6 and ports", "[2001:db8::5]:443", http.Header{"Forwarded": {`for="[2001:db8:cafe::17]:4711";proto=https;host=idp.example.com, for=10.0.0.2`}},
			"2001:db8:cafe::17", "https", "idp.example.com"},
		{"RFC 7239 wins over X-Forwarded-For", "10.1.2.3:80", http.Header{"Forwarded": {"for=192.0.2.60"}, "X-Forwarded-For": {"198.51.100.1"}},
			"192.0.2.60", "http", "sesame.test"},
		{"an obfuscated identifier ends the chain", "10.1.2.3:80", http.Header{"Forwarded": {"for=_hidden, for=198.51.100.1"}}, "198.51.100.1", "http", "sesame.test"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ip, scheme, host string
			h := trusted.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ip, scheme, host = ClientIP(r), Scheme(r), r.Host
			}))
			r := httptest.NewRequest("GET", "http://sesame.test/", nil)
			r.RemoteAddr = c.peer
			for k, v := range c.hdr {
				r.Header[k] = v
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if ip != c.ip || scheme != c.scheme || host != c.host {
				t.Errorf("got ip %q scheme %q host %q, want %q %q %q", ip, scheme, host, c.ip, c.scheme, c.host)
			}
		})
	}
	// No trusted proxies: the headers are never read.
	var ip string
	h := Proxies(nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ip = ClientIP(r) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr, r.Header["X-Forwarded-For"] = "10.1.2.3:80", []string{"198.51.100.1"}
	h.ServeHTTP(httptest.NewRecorder(), r)
	if ip != "10.1.2.3" {
		t.Errorf("without trusted proxies: %q", ip)
	}
}
