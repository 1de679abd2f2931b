package docscheck

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// inlineLink is a Markdown inline link or image: [text](target) or
// [text](target "title"); group 1 is the target.
var inlineLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)

// codeSpan is an inline code span; links inside one are text.
var codeSpan = regexp.MustCompile("`+[^`]*`+")

// BrokenLinks checks every relative link of the Markdown files: its file
// (relative to the linking file) must exist and, when the link has a
// fragment and points to a Markdown file, that file must have a heading with
// that anchor. Links with a scheme (https:, mailto:) and links inside code
// blocks or code spans are not checked. It returns one line per broken link,
// "README.md:12: docs/x.md: no such file", and an error when a file cannot
// be read.
func BrokenLinks(files ...string) ([]string, error) {
	anchors := map[string]map[string]bool{} // by cleaned path
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchors[path]; ok {
			return a, nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		a := Anchors(src)
		anchors[path] = a
		return a, nil
	}
	var problems []string
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, l := range Links(src) {
			broken := func(format string, args ...any) {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: ", filepath.ToSlash(file), l.Line, l.Target)+fmt.Sprintf(format, args...))
			}
			u, err := url.Parse(l.Target)
			if err != nil {
				broken("not a URL")
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue
			}
			target := filepath.Clean(file)
			if u.Path != "" {
				target = filepath.Join(filepath.Dir(file), filepath.FromSlash(u.Path))
				if _, err := os.Stat(target); err != nil {
					broken("no such file")
					continue
				}
			}
			if u.Fragment == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			a, err := anchorsOf(target)
			if err != nil {
				return nil, err
			}
			if !a[u.Fragment] {
				broken("no heading with anchor #%s", u.Fragment)
			}
		}
	}
	return problems, nil
}

// Link is a link found in Markdown.
type Link struct {
	Target string // as written: "docs/api.md#users", "#status"
	Line   int    // 1-based
}

// Links returns the inline links and images of a Markdown document, outside
// fenced code blocks and code spans.
func Links(src []byte) []Link {
	var links []Link
	for i, line := range markdownLines(src) {
		text := codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
			links = append(links, Link{Target: m[1], Line: i + 1})
		}
	}
	return links
}

// Anchors returns the anchors GitHub gives the headings of a Markdown
// document: the heading's text without Markdown syntax, lower-cased, with
// every character other than a letter, digit, space, '-' or '_' removed and
// spaces turned into '-'; a repeated anchor gets "-1", "-2", ... appended.
func Anchors(src []byte) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, line := range markdownLines(src) {
		text, ok := strings.CutPrefix(line, "#")
		if !ok {
			continue
		}
		text = strings.TrimLeft(text, "#")
		if text != "" && text[0] != ' ' && text[0] != '\t' {
			continue // "#hashtag", not a heading
		}
		a := slug(text)
		if n := seen[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// linkText keeps the text of a link: [text](target) → text.
var linkText = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

func slug(heading string) string {
	heading = linkText.ReplaceAllString(strings.TrimSpace(heading), "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// markdownLines returns src's lines with those of fenced code blocks (``` or
// ~~~) blanked, so that line numbers stay right.
func markdownLines(src []byte) []string {
	lines := strings.Split(string(bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))), "\n")
	fence := ""
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
			lines[i] = ""
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			n := len(trimmed) - len(strings.TrimLeft(trimmed, trimmed[:1]))
			fence = strings.Repeat(trimmed[:1], n)
			lines[i] = ""
		}
	}
	return lines
}
