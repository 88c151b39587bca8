package ecsimport

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
)

// cleaner walks a decoded JSON value (numbers as json.Number) alongside the Go type it is
// meant for and keeps only what that type declares. Every key it drops, and every value it
// converts, becomes a warning naming the field's path in the input document.
type cleaner struct {
	// pascal matches object keys to json tags without regard to case and writes the
	// tag's spelling (App Runner's PascalCase to kube-ecs's camelCase).
	pascal bool
	// reasons explain why a top-level key of the spec is dropped, by lower-cased key.
	reasons map[string]string
	// warn records one warning.
	warn func(format string, args ...any)
}

var rawExtensionType = reflect.TypeFor[runtime.RawExtension]()

// clean returns the part of v that t declares, and false when nothing is kept.
func (c *cleaner) clean(v any, t reflect.Type, path string, depth int) (any, bool) {
	if v == nil {
		// null is what an absent optional field looks like in AWS output.
		return nil, false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawExtensionType {
		// Schemaless fields (serviceConnectConfiguration...) are kept as they are.
		if _, ok := v.(map[string]any); !ok {
			c.warn("dropped field %s: want an object, got %s", path, describe(v))
			return nil, false
		}
		return v, true
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			c.warn("dropped field %s: want an object, got %s", path, describe(v))
			return nil, false
		}
		return c.cleanStruct(m, t, path, depth), true
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			c.warn("dropped field %s: want an object, got %s", path, describe(v))
			return nil, false
		}
		out := make(map[string]any, len(m))
		for _, k := range sortedKeys(m) {
			// The keys of a map are data (environment variable names, label keys):
			// they are never renamed.
			if cv, ok := c.clean(m[k], t.Elem(), mapPath(path, k), depth+1); ok {
				out[k] = cv
			}
		}
		return out, true
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			c.warn("dropped field %s: want a list, got %s", path, describe(v))
			return nil, false
		}
		out := make([]any, 0, len(a))
		for i, e := range a {
			p := fmt.Sprintf("%s[%d]", path, i)
			if e == nil {
				c.warn("dropped %s: null list item", p)
				continue
			}
			if cv, ok := c.clean(e, t.Elem(), p, depth+1); ok {
				out = append(out, cv)
			}
		}
		return out, true
	case reflect.String:
		return c.cleanString(v, path)
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			return x, true
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				c.warn("converted field %s from the string %q to the boolean %t", path, x, b)
				return b, true
			}
		}
		c.warn("dropped field %s: want a boolean, got %s", path, describe(v))
		return nil, false
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return c.cleanInt(v, t, path)
	case reflect.Float32, reflect.Float64:
		switch x := v.(type) {
		case json.Number:
			return x, true
		case string:
			if _, err := strconv.ParseFloat(x, 64); err == nil {
				c.warn("converted field %s from the string %q to a number", path, x)
				return json.Number(x), true
			}
		}
		c.warn("dropped field %s: want a number, got %s", path, describe(v))
		return nil, false
	case reflect.Interface:
		return v, true
	}
	c.warn("dropped field %s: kube-ecs cannot represent it", path)
	return nil, false
}

func (c *cleaner) cleanStruct(m map[string]any, t reflect.Type, path string, depth int) map[string]any {
	fields := jsonFields(t)
	out := make(map[string]any, len(m))
	for _, k := range sortedKeys(m) {
		p := joinPath(path, k)
		f, ok := fields.exact[k]
		if !ok {
			f, ok = fields.folded[strings.ToLower(k)]
			if ok && !c.pascal {
				c.warn("renamed field %s to %s", p, f.name)
			}
		}
		if !ok {
			if m[k] == nil {
				continue // an absent field, spelled null
			}
			reason := ""
			if depth == 0 {
				reason = c.reasons[strings.ToLower(k)]
			}
			if reason == "" {
				reason = "kube-ecs's " + t.Name() + " has no such field"
			}
			c.warn("dropped field %s: %s", p, reason)
			continue
		}
		if cv, ok := c.clean(m[k], f.typ, p, depth+1); ok {
			out[f.name] = cv
		}
	}
	return out
}

func (c *cleaner) cleanString(v any, path string) (any, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		if strings.HasSuffix(path, "At") {
			// registeredAt and the like, printed as epoch seconds by
			// cli_timestamp_format=wire.
			if ts, ok := epochToRFC3339(string(x)); ok {
				return ts, true
			}
		}
		c.warn("converted field %s from the number %s to the string %q", path, x, string(x))
		return string(x), true
	case bool:
		s := strconv.FormatBool(x)
		c.warn("converted field %s from the boolean %s to the string %q", path, s, s)
		return s, true
	}
	c.warn("dropped field %s: want a string, got %s", path, describe(v))
	return nil, false
}

func (c *cleaner) cleanInt(v any, t reflect.Type, path string) (any, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		c.warn("dropped field %s: want an integer, got %s", path, describe(v))
		return nil, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			c.warn("dropped field %s: want an integer, got %s", path, describe(v))
			return nil, false
		}
		n = int64(f)
	}
	if reflect.Zero(t).OverflowInt(n) {
		c.warn("dropped field %s: %d is out of range", path, n)
		return nil, false
	}
	if _, isString := v.(string); isString {
		c.warn("converted field %s from the string %q to the integer %d", path, s, n)
	}
	return json.Number(strconv.FormatInt(n, 10)), true
}

var epochRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?$`)

// epochToRFC3339 turns epoch seconds such as 1730737928.915 into
// 2024-11-04T16:32:08.915Z, exactly (no float rounding).
func epochToRFC3339(s string) (string, bool) {
	m := epochRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	sec, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || sec > 253402300799 { // year 9999
		return "", false
	}
	frac := m[2]
	if len(frac) > 9 {
		frac = frac[:9]
	}
	var nsec int64
	if frac != "" {
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(sec, nsec).UTC().Format(time.RFC3339Nano), true
}

type jsonField struct {
	name string
	typ  reflect.Type
}

type fieldIndex struct {
	exact  map[string]jsonField
	folded map[string]jsonField
}

var fieldCache sync.Map // reflect.Type -> fieldIndex

// jsonFields indexes the JSON fields of a struct type by their json tag names, following
// inlined embedded structs.
func jsonFields(t reflect.Type) fieldIndex {
	if fi, ok := fieldCache.Load(t); ok {
		return fi.(fieldIndex)
	}
	fi := fieldIndex{exact: map[string]jsonField{}, folded: map[string]jsonField{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if sf.Anonymous && (name == "" || strings.Contains(","+opts+",", ",inline,")) && sf.Type.Kind() == reflect.Struct {
				add(sf.Type)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			f := jsonField{name: name, typ: sf.Type}
			fi.exact[name] = f
			fi.folded[strings.ToLower(name)] = f
		}
	}
	add(t)
	fieldCache.Store(t, fi)
	return fi
}

// jsonNames lists the json names of a struct type's fields.
func jsonNames(t reflect.Type) []string {
	fi := jsonFields(t)
	names := make([]string, 0, len(fi.exact))
	for n := range fi.exact {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + string(x)
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func joinPath(path, key string) string {
	if !identRE.MatchString(key) {
		return mapPath(path, key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func mapPath(path, key string) string {
	return fmt.Sprintf("%s[%q]", path, key)
}
