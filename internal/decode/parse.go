package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds what Parse reads: configuration and catalog files are
// small, and a runaway input must not exhaust memory.
const MaxFileSize = 8 << 20

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads one YAML document and returns its root mapping or sequence
// node. Syntax errors, empty files, binary data and extra documents all come
// back as *Error with a position.
func Parse(file string, data []byte) (*yaml.Node, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("file is %d bytes", len(data)), Expected: fmt.Sprintf("at most %d bytes", MaxFileSize)}
	}
	if line, col, ok := firstBadByte(data); ok {
		return nil, &Error{File: file, Line: line, Column: col, Msg: "file is not UTF-8 text", Expected: "a YAML text file", Hint: "is this a binary file?"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Column: 1, Msg: "file is empty", Expected: "a YAML mapping"}
		}
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Column: extra.Column, Msg: "a second YAML document", Expected: "exactly one document", Hint: "remove the '---' separator"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(file, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: "file is empty", Expected: "a YAML mapping"}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, &Error{File: file, Line: root.Line, Column: root.Column, Msg: "file has no content", Expected: "a YAML mapping"}
	}
	return root, nil
}

// syntaxError turns a yaml.v3 parser error into a positioned Error. The
// parser reports only a line, so the column is that line's first non-blank
// character.
func syntaxError(file string, data []byte, err error) *Error {
	msg := err.Error()
	line := 1
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return &Error{File: file, Line: line, Column: firstColumn(data, line), Msg: "invalid YAML: " + msg, Expected: "valid YAML syntax"}
}

func firstColumn(data []byte, line int) int {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	for i, c := range l {
		if c != ' ' && c != '\t' {
			return i + 1
		}
	}
	return 1
}

// firstBadByte finds invalid UTF-8 or control characters YAML forbids.
func firstBadByte(data []byte) (line, col int, bad bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, col, true
		case r == '\n':
			line, col = line+1, 0
		case r < 0x20 && r != '\t' && r != '\r', r == 0x7f, r == 0xfeff && i > 0:
			return line, col, true
		}
		i += size
		col++
	}
	return 0, 0, false
}
