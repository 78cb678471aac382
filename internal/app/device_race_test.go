package app

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestDeviceApprovalWhilePolling approves a device code while the device
// polls as fast as it can: the approval must not be lost to a poll that
// recorded its time in the same moment, and the tokens come out once.
func TestDeviceApprovalWhilePolling(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		tv, _, tvApp := ts.oidcApp(t, "TV", "native", "none", []string{"authorization_code", grantDevice}, []string{"code"}, nil)
		ts.assign(t, tvApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		for round := 0; round < 8; round++ {
			d := ts.form(t, "/oauth2/default/v1/device/authorize", "", url.Values{"client_id": {tv}, "scope": {"openid"}}).json(t)
			userCode, device := d["user_code"].(string), d["device_code"].(string)
			p := b.get(t, ts.Addr+"/activate?user_code="+userCode)
			if p.status != 200 {
				t.Fatalf("activation page: %d %s", p.status, p.body)
			}
			body := url.Values{"grant_type": {grantDevice}, "client_id": {tv}, "device_code": {device}}.Encode()
			var granted, other atomic.Int32
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						resp, err := ts.HTTP.Post(ts.Addr+"/oauth2/default/v1/token", "application/x-www-form-urlencoded", strings.NewReader(body))
						if err != nil {
							other.Add(1)
							return
						}
						resp.Body.Close()
						switch resp.StatusCode {
						case http.StatusOK:
							granted.Add(1)
						case http.StatusBadRequest:
						default:
							other.Add(1)
						}
					}
				}()
			}
			time.Sleep(50 * time.Millisecond)
			p = b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {userCode}, "decision": {"approve"}})
			if p.status != 200 || !strings.Contains(p.body, `id="device-done"`) {
				close(stop)
				wg.Wait()
				t.Fatalf("approve: %d %s", p.status, p.body)
			}
			deadline := time.Now().Add(3 * time.Second)
			for granted.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			close(stop)
			wg.Wait()
			if granted.Load() != 1 || other.Load() != 0 {
				t.Fatalf("round %d: %d polls got tokens, %d failed otherwise; want exactly one with tokens", round, granted.Load(), other.Load())
			}
		}
	})
}
