package kube

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// Document is one YAML document of a stream and the line of the stream it
// starts on.
type Document struct {
	Text string
	Line int
}

// docSeparator is where Helm splits a stream: any line that starts with
// "---", whatever follows on it. Templates that end a document with "---"
// and trim the newline after it ("---" then "{{- end }}") glue the next
// document to the marker ("---apiVersion: …"); Helm still splits there,
// and so must fleetup, or it would read other objects than Argo CD does.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*`)

// Documents splits a stream into its non-empty documents the way Helm's
// releaseutil.SplitManifests does, keeping where each starts.
func Documents(s string) []Document {
	var out []Document
	// Like Helm, leading whitespace goes first: a marker after it counts.
	body := strings.TrimLeftFunc(s, unicode.IsSpace)
	line := 1 + strings.Count(s[:len(s)-len(body)], "\n")
	s = body
	start := 0
	add := func(end int) {
		piece := s[start:end]
		trimmed := strings.TrimLeftFunc(piece, unicode.IsSpace)
		if strings.TrimSpace(trimmed) != "" {
			skipped := piece[:len(piece)-len(trimmed)]
			out = append(out, Document{Text: trimmed, Line: line + strings.Count(skipped, "\n")})
		}
	}
	for _, m := range docSeparator.FindAllStringIndex(s, -1) {
		add(m[0])
		line += strings.Count(s[start:m[1]], "\n")
		start = m[1]
	}
	add(len(s))
	return out
}

// SplitDocuments is Documents without the positions.
func SplitDocuments(s string) []string {
	docs := Documents(s)
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Text
	}
	return out
}

// DecodeYAML splits a multi-document YAML stream into objects, dropping
// empty documents and expanding List kinds. Errors say line and column.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	return DecodeFile("", data)
}

// DecodeFile is DecodeYAML for a named file: errors read
// file:line:column. A key given twice in one mapping is an error, never
// silently merged.
func DecodeFile(name string, data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, doc := range Documents(string(data)) {
		pos := func(line, col int) string {
			p := fmt.Sprintf("%d:%d", doc.Line+line-1, col)
			if name != "" {
				p = name + ":" + p
			}
			return p
		}
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc.Text), &n); err != nil {
			line, msg := yamlErrorLine(err)
			return nil, fmt.Errorf("%s: %s", pos(line, 1), msg)
		}
		if dup, first := duplicateKey(&n); dup != nil {
			return nil, fmt.Errorf("%s: key %q given twice with different values (first at line %d); YAML readers keep one of them silently, so fleetup refuses both", pos(dup.Line, dup.Column), dup.Value, doc.Line+first.Line-1)
		}
		var m map[string]any
		if err := sigsyaml.Unmarshal([]byte(doc.Text), &m); err != nil {
			return nil, fmt.Errorf("%s: %w", pos(1, 1), err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			items, _, _ := unstructured.NestedSlice(m, "items")
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					out = append(out, &unstructured.Unstructured{Object: im})
				}
			}
			continue
		}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			return nil, fmt.Errorf("%s: no apiVersion or kind (expected a Kubernetes object)", pos(1, 1))
		}
		out = append(out, u)
	}
	return out, nil
}

// sameNode reports whether two YAML values decode to the same data.
func sameNode(a, b *yaml.Node) bool {
	var x, y any
	if a.Decode(&x) != nil || b.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlErrorLine takes the line out of a yaml.v3 syntax error.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, strings.TrimPrefix(msg, m[0])
	}
	return 1, strings.TrimPrefix(msg, "yaml: ")
}

// duplicateKey finds a key given twice in one mapping with two different
// values: the second and the first. The same key with the same value
// twice means one thing to every reader (CNOE's appset chart renders
// ignoreDifferences twice), so it passes.
func duplicateKey(n *yaml.Node) (dup, first *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				continue
			}
			if j, ok := seen[k.Value]; ok && !sameNode(n.Content[j+1], n.Content[i+1]) {
				return k, n.Content[j]
			}
			seen[k.Value] = i
		}
	}
	for _, c := range n.Content {
		if d, f := duplicateKey(c); d != nil {
			return d, f
		}
	}
	return nil, nil
}
