package oauth

import "time"

// SetClock replaces the clock that decides what has expired. Tests use it
// to age codes and tokens past lifetimes of minutes without waiting; call
// it before the server answers requests.
func (s *Server) SetClock(now func() time.Time) { s.now = now }
