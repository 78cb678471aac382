package main

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/secret"
)

// The runtime's soft memory limit, unless the operator set GOMEMLIMIT: twice
// the heap that outlives the password hashes, plus the memory the hashes may
// hold at once, plus limitHeadroom.
//
// Why: an argon2id computation holds 19 MiB that is garbage the moment it
// ends. With GOGC alone the collector lets the heap double over a live heap
// that counts the blocks in flight, so a burst of sign-ins took the server
// to 154 MB resident for some 46 MB live (bench/README.md, "Password
// sign-in's memory"). This limit gives the rest of the heap GOGC's doubling
// and the hashes only their own room. It is recomputed after every full
// collection Sesame asks for (at start, after configuration rebuilds, and
// every limitRefresh), so it follows the configuration snapshot and the
// caches as they grow. Past the limit the runtime collects more often, and
// caps the collector's share of the CPU; it never refuses memory.
const (
	limitHeadroom = 64 << 20
	limitRefresh  = 5 * time.Minute
)

// operatorLimit: GOMEMLIMIT (a size or "off") is the operator's to set, and
// then Sesame leaves the limit alone.
var operatorLimit = os.Getenv("GOMEMLIMIT") != ""

// releaseAndLimit collects, returns the free memory to the OS and sets the
// memory limit from the heap that survived. The live heap counts a hash only
// if one was running during the collection; then the limit is left as it was.
func releaseAndLimit() {
	before := secret.HashMemoryInUse()
	debug.FreeOSMemory()
	if operatorLimit || before != 0 || secret.HashMemoryInUse() != 0 {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := int64(s[0].Value.Uint64())
	debug.SetMemoryLimit(2*live + secret.HashMemory() + limitHeadroom)
}

// governMemory releases the garbage of snapshot rebuilds once the snapshot
// has stayed the same for a tick after changing (so that a burst of changes,
// a Terraform apply, costs one collection, not one each), and refreshes the
// limit every limitRefresh.
func governMemory(ctx context.Context, c *cache.Cache, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	seen, pending, last := c.Current(), false, time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		switch cur := c.Current(); {
		case cur != seen:
			seen, pending = cur, true
		case pending || time.Since(last) >= limitRefresh:
			releaseAndLimit()
			pending, last = false, time.Now()
		}
	}
}
