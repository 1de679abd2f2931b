package lograte

import "time"

// SetClock replaces l's clock (tests).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }
