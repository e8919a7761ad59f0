package app_test

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// zeroPayload is the zero value of an event type's payload, found through
// DecodePayload itself so that a new event type is covered without a list
// to keep up to date here.
func zeroPayload(t testing.TB, eventType string) app.Payload {
	t.Helper()
	p, err := app.DecodePayload(eventType, []byte("{}"))
	if err != nil {
		t.Fatalf("event type %s does not decode {}: %v", eventType, err)
	}
	if p.EventType() != eventType {
		t.Fatalf("event type %s decodes to a payload of type %s", eventType, p.EventType())
	}
	return p
}

// fill sets every exported field of v (strings, integers, booleans and
// nested structs) from the bytes of src, so that each run of the fuzzer
// builds a different payload.
type filler struct{ src []byte }

func (f *filler) take(n int) []byte {
	if n > len(f.src) {
		n = len(f.src)
	}
	b := f.src[:n]
	f.src = f.src[n:]
	return b
}

func (f *filler) fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	case reflect.String:
		n := 0
		if b := f.take(1); len(b) == 1 {
			n = int(b[0] % 40)
		}
		// JSON carries text: bytes that are not UTF-8 could not round-trip.
		v.SetString(strings.ToValidUTF8(string(f.take(n)), "?"))
	case reflect.Int, reflect.Int64, reflect.Int32:
		var b [8]byte
		copy(b[:], f.take(8))
		v.SetInt(int64(binary.LittleEndian.Uint64(b[:])) >> (64 - v.Type().Bits()))
	case reflect.Bool:
		b := f.take(1)
		v.SetBool(len(b) == 1 && b[0]&1 == 1)
	}
}

// TestEveryEventTypeRoundTrips: a payload of each known type, with every
// field set, comes back equal from its stored JSON.
func TestEveryEventTypeRoundTrips(t *testing.T) {
	types := app.EventTypes()
	if len(types) == 0 {
		t.Fatal("no event types")
	}
	seen := map[string]bool{}
	for _, typ := range types {
		if seen[typ] {
			t.Fatalf("event type %s is listed twice", typ)
		}
		seen[typ] = true
		p := zeroPayload(t, typ)
		v := reflect.New(reflect.TypeOf(p)).Elem()
		(&filler{src: []byte(strings.Repeat("\x07abcdefgh\x01", 40))}).fill(v)
		roundTrip(t, typ, v.Interface().(app.Payload))
	}
}

func roundTrip(t *testing.T, typ string, p app.Payload) {
	t.Helper()
	data, err := app.EncodePayload(p)
	if err != nil {
		t.Fatalf("encode %s %#v: %v", typ, p, err)
	}
	back, err := app.DecodePayload(typ, data)
	if err != nil {
		t.Fatalf("decode %s %s: %v", typ, data, err)
	}
	if !reflect.DeepEqual(back, p) {
		t.Fatalf("%s does not round-trip:\n put %#v\n got %#v\n via %s", typ, p, back, data)
	}
}

// FuzzDecodePayload: decoding stored bytes never panics, whatever they are;
// what decodes re-encodes to the same payload; a payload of every type built
// from the fuzzer's bytes round-trips; and the read models and aggregates
// fold any decodable event without panicking.
func FuzzDecodePayload(f *testing.F) {
	types := app.EventTypes()
	for i, typ := range types {
		p := zeroPayload(f, typ)
		data, err := app.EncodePayload(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), data)
	}
	for _, garbage := range []string{"", "null", "[]", "{", `{"name": 7}`, `{"attempt": 1e400}`, `{"settings": {"url": []}}`,
		`{"stage": "cloning", "attempt": -1}`, "\xff\xfe", `{"by": "\u0000"}`, `"just a string"`, `{"spec": null}`} {
		f.Add(uint8(len(garbage)), []byte(garbage))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		typ := types[int(kind)%len(types)]

		// Unknown types are refused, never guessed.
		if _, err := app.DecodePayload(string(data), data); err == nil && !contains(types, string(data)) {
			t.Fatalf("unknown event type %q decoded", data)
		}

		p, err := app.DecodePayload(typ, data)
		if err == nil {
			if p.EventType() != typ {
				t.Fatalf("decoding as %s gave a %s", typ, p.EventType())
			}
			enc, err := app.EncodePayload(p)
			if err != nil {
				t.Fatalf("re-encode %s %#v: %v", typ, p, err)
			}
			again, err := app.DecodePayload(typ, enc)
			if err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("%s: decoded %#v, re-encoded %s, decoded again %#v (%v)", typ, p, enc, again, err)
			}
			fold(typ, p)
		}

		built := reflect.New(reflect.TypeOf(zeroPayload(t, typ))).Elem()
		(&filler{src: data}).fill(built)
		roundTrip(t, typ, built.Interface().(app.Payload))
		fold(typ, built.Interface().(app.Payload))
	})
}

// fold runs p through the read models and the aggregates,
// as the first and as a later event of its stream.
func fold(typ string, p app.Payload) {
	streamType := typ[:strings.IndexByte(typ, '.')]
	for version := 1; version <= 2; version++ {
		e := app.Event{Seq: int64(version), TenantID: "acme", StreamType: streamType, StreamID: "abcdefghijklmnop", Version: version,
			Type: typ, Data: p, At: time.Unix(1700000000, 0).UTC()}
		if streamType == app.StreamVM {
			e.StreamID = app.VMID("abcdefghijklmnop")
		}
		rv := app.RequestView{VM: &app.VMView{}}
		app.ProjectRequest(&rv, e)
		app.ProjectRequest(&app.RequestView{}, e)
		tv := app.TenantView{}
		app.ProjectTenant(&tv, e)
		_ = app.NewRequest("abcdefghijklmnop", "acme", []app.Event{e})
		_ = app.NewVM("abcdefghijklmnop", []app.Event{e})
		_ = app.NewTenant("acme", []app.Event{e})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
