package orgfile

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos is where a value starts in the file.
type Pos struct{ Line, Col int }

// keySuffix marks the position of a member's key rather than its value.
const keySuffix = "#key"

// positions maps a value's path (apps[0].settings.oauthClient.redirect_uris[1])
// to where it is written.
type positions map[string]Pos

// maxNodes bounds the values one file may expand to, aliases included, so
// that a few lines of nested aliases cannot take the memory.
const maxNodes = 1 << 20

// maxFileBytes bounds an org file.
const maxFileBytes = 16 << 20

// decodeYAML reads one YAML (or JSON) document into plain values — maps
// with string keys, slices, strings, bool, int64, float64 and nil, as JSON
// would decode them — and records the position of each.
func decodeYAML(name string, data []byte) (map[string]any, positions, error) {
	if len(data) > maxFileBytes {
		return nil, nil, fmt.Errorf("%s: the file is larger than %d MiB", name, maxFileBytes>>20)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return map[string]any{}, positions{}, nil
		}
		return nil, nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, fmt.Errorf("%s:%d: one document per file: a second one starts here", name, extra.Line)
	}
	c := &converter{name: name, pos: positions{}}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return map[string]any{}, c.pos, nil
		}
		root = root.Content[0]
	}
	v, err := c.convert(root, "", 0)
	if err != nil {
		return nil, nil, err
	}
	if v == nil {
		return map[string]any{}, c.pos, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, c.errAt(root, "", "the file must be a mapping (people:, groups:, apps: …)")
	}
	return m, c.pos, nil
}

type converter struct {
	name  string
	pos   positions
	nodes int
}

// PathError is a bad value in a file: where it is and what is wrong.
type PathError struct {
	File string
	Pos  Pos
	Path string
	Msg  string
}

func (e *PathError) Error() string {
	where := e.File
	if e.Pos.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", e.File, e.Pos.Line, e.Pos.Col)
	}
	if e.Path == "" {
		return where + ": " + e.Msg
	}
	return where + ": " + e.Path + ": " + e.Msg
}

func (c *converter) errAt(n *yaml.Node, path, msg string) error {
	return &PathError{File: c.name, Pos: Pos{n.Line, n.Column}, Path: path, Msg: msg}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (c *converter) convert(n *yaml.Node, path string, depth int) (any, error) {
	c.nodes++
	if c.nodes > maxNodes {
		return nil, c.errAt(n, path, "the file expands to too many values (aliases?)")
	}
	if depth > 64 {
		return nil, c.errAt(n, path, "nested too deeply")
	}
	c.pos[path] = Pos{n.Line, n.Column}
	switch n.Kind {
	case yaml.AliasNode:
		v, err := c.convert(n.Alias, path, depth+1)
		c.pos[path] = Pos{n.Line, n.Column}
		return v, err
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				merged, err := c.convert(v, path, depth+1)
				if err != nil {
					return nil, err
				}
				mm, ok := merged.(map[string]any)
				if !ok {
					return nil, c.errAt(v, path, "a merge key (<<) needs a mapping")
				}
				for mk, mv := range mm {
					if _, set := m[mk]; !set {
						m[mk] = mv
					}
				}
				continue
			}
			if k.Kind != yaml.ScalarNode || (k.Tag != "!!str" && k.Tag != "!!int" && k.Tag != "!!bool" && k.Tag != "!!float") {
				return nil, c.errAt(k, path, "a key must be a plain string")
			}
			key := k.Value
			c.pos[joinKey(path, key)+keySuffix] = Pos{k.Line, k.Column}
			if _, dup := m[key]; dup {
				return nil, c.errAt(k, joinKey(path, key), "this key is given twice")
			}
			val, err := c.convert(v, joinKey(path, key), depth+1)
			if err != nil {
				return nil, err
			}
			m[key] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			val, err := c.convert(item, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		return s, nil
	case yaml.ScalarNode:
		return c.scalar(n, path)
	}
	return nil, c.errAt(n, path, "unsupported YAML node")
}

func (c *converter) scalar(n *yaml.Node, path string) (any, error) {
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errAt(n, path, err.Error())
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			return nil, c.errAt(n, path, "the number does not fit in 64 bits")
		}
		return i, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.errAt(n, path, err.Error())
		}
		return f, nil
	case "!!str", "":
		return n.Value, nil
	}
	return nil, c.errAt(n, path, "values tagged "+n.Tag+" are not supported; write a string, number, true/false or a list or mapping")
}

// errNoDocument is returned for an empty file where one is required.
var errNoDocument = errors.New("the file is empty")
