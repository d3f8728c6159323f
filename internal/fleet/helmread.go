package fleet

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// helmRead reads a value file as Helm's chart loader does
// (loader.LoadValues): sigs.k8s.io/yaml, that is go-yaml v2's YAML 1.1
// turned into JSON, numbers as float64. Fleet files hold one document
// (decode.Parse refuses more), so the loader's document splitting and
// merging change nothing; reading directly spares the chart loader and the
// client-go it links. helm_test.go checks that both read the same.
func helmRead(data []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := sigsyaml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// helmValues is helmRead(data) for a file whose yaml.v3 tree is root (a
// mapping). When every node of the tree is one that YAML 1.1 (go-yaml v2)
// and yaml.v3 read alike, the values are built from the tree and the file
// is not parsed a second time: that second parse, through JSON, was 40 %
// of reading a cluster file. Anything else (aliases, merge keys, tags,
// block scalars, numbers other than plain decimals, the YAML 1.1 booleans
// and the strings a YAML 1.1 reader could take for a number or a date) is
// read by Helm's own reader, so where the readers differ the builder still
// sees both readings and reports it.
func helmValues(root *yaml.Node, data []byte) (map[string]any, error) {
	// A tag, even the non-specific "!" that yaml.v3's tree does not keep
	// (YAML 1.1 reads `! 1` as a string), starts with '!'.
	if bytes.IndexByte(data, '!') >= 0 {
		return helmRead(data)
	}
	if v, ok := agreedValue(root); ok {
		if m, isMap := v.(map[string]any); isMap {
			return m, nil
		}
	}
	return helmRead(data)
}

// agreedValue is n as Helm reads it, when both readers surely agree; ok is
// false otherwise.
func agreedValue(n *yaml.Node) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		if n.Style&yaml.TaggedStyle != 0 {
			return nil, false
		}
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, ok := agreedKey(n.Content[i])
			if !ok {
				return nil, false
			}
			if _, dup := m[k]; dup { // the readers differ on duplicates
				return nil, false
			}
			v, ok := agreedValue(n.Content[i+1])
			if !ok {
				return nil, false
			}
			m[k] = v
		}
		return m, true
	case yaml.SequenceNode:
		if n.Style&yaml.TaggedStyle != 0 {
			return nil, false
		}
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, ok := agreedValue(c)
			if !ok {
				return nil, false
			}
			l[i] = v
		}
		return l, true
	case yaml.ScalarNode:
		return agreedScalar(n)
	}
	return nil, false // aliases
}

// agreedKey is a mapping key both readers read as the same string.
func agreedKey(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode || k.Value == "<<" {
		return "", false
	}
	v, ok := agreedScalar(k)
	s, isString := v.(string)
	return s, ok && isString
}

// agreedScalar reads a scalar that has no tag written out.
func agreedScalar(n *yaml.Node) (any, bool) {
	s := n.Value
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		// Quoted scalars are strings in both; JSON keeps valid UTF-8 as is.
		return s, n.Tag == "!!str" && utf8.ValidString(s)
	case 0:
	default:
		return nil, false // tagged, literal or folded
	}
	switch n.Tag {
	case "!!str":
		return s, plainStringInYAML11(s)
	case "!!null":
		switch s {
		case "", "~", "null", "Null", "NULL":
			return nil, true
		}
	case "!!bool":
		switch s {
		case "true", "True", "TRUE":
			return true, true
		case "false", "False", "FALSE":
			return false, true
		}
	case "!!int":
		// Plain decimals of up to 15 digits: exact as float64, which is
		// what JSON makes of go-yaml v2's int. No "-0": JSON keeps no sign.
		if isDecimal(s, false) && s != "-0" {
			i, err := strconv.ParseInt(s, 10, 64)
			return float64(i), err == nil
		}
	case "!!float":
		if isDecimal(s, true) {
			f, err := strconv.ParseFloat(s, 64)
			return f, err == nil
		}
	}
	return nil, false
}

// isDecimal: -?(0|[1-9][0-9]*), at most 15 digits before the point, and
// with frac a point and 1 to 15 digits after it.
func isDecimal(s string, frac bool) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	whole := 0
	for whole < len(s) && s[whole] >= '0' && s[whole] <= '9' {
		whole++
	}
	if whole == 0 || whole > 15 || (whole > 1 && s[0] == '0') {
		return false
	}
	rest := s[whole:]
	if !frac {
		return rest == ""
	}
	if len(rest) < 2 || len(rest) > 16 || rest[0] != '.' {
		return false
	}
	return isDigits(rest[1:])
}

// plainStringInYAML11 says that go-yaml v2 surely reads the plain scalar
// s, a string for yaml.v3, as a string too. It resolves a plain scalar by
// its first character: a sign or digit may make a number or a date, a
// dot a float, and y, n, t, f, o or ~ one of YAML 1.1's booleans and
// nulls (yes, no, on, off, y, n...).
func plainStringInYAML11(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		return !mayBeNumber(s)
	case c == '.':
		return false
	case c == '~':
		return false
	case c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' || c == 'f' || c == 'F' || c == 'o' || c == 'O':
		return !yaml11Keyword(s)
	}
	return true
}

// mayBeNumber: s could be a timestamp (it starts with four digits and a
// dash) or, made only of the characters Go's number parsers take (digits,
// hex digits, signs, points, underscores, base prefixes), a number.
func mayBeNumber(s string) bool {
	if len(s) > 4 && s[4] == '-' && isDigits(s[:4]) {
		return true
	}
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == 'x' || c == 'X' || c == 'o' || c == 'O' || c == 'b' || c == 'B':
		case c == '_' || c == '+' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// yaml11Keyword: the YAML 1.1 booleans and nulls go-yaml v2 resolves.
func yaml11Keyword(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"null", "Null", "NULL":
		return true
	}
	return false
}
