package notifytest

import (
	"encoding/base64"
	"io"
	"strings"
)

// newBase64Reader decodes a base64 body whose lines are wrapped.
func newBase64Reader(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, lineJoiner{r})
}

// lineJoiner drops CR and LF.
type lineJoiner struct{ r io.Reader }

func (l lineJoiner) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	s := strings.NewReplacer("\r", "", "\n", "").Replace(string(p[:n]))
	return copy(p, s), err
}
