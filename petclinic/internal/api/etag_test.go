package api

import (
	"testing"
	"time"
	"unicode/utf16"
)

// The tags are those the Java server sends for its seed data, taken from
// spring-petclinic-rest's Specmatic examples (openapi_examples/get_*_304.json).
// Its H2 seed dates pets and visits ten years later than our seed (Basil
// 2012-08-06, visit 1 2013-01-01), so the inputs here are the Java ones.
func TestETagsMatchTheJavaServer(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := map[string]struct {
		got  int32
		want string
	}{
		"owner 2, Betty Davis": {javaHash(2, stringHash("Betty"), stringHash("Davis"), stringHash("638 Cardinal Ave."),
			stringHash("Sun Prairie"), stringHash("6085551749")), `"-1884106883"`},
		"pet 2, Basil":           {javaHash(2, stringHash("Basil"), dateHash(d("2012-08-06"))), `"1986788528"`},
		"vet 1, James Carter":    {javaHash(1, stringHash("James"), stringHash("Carter")), `"-72204439"`},
		"visit 1, rabies shot":   {javaHash(1, dateHash(d("2013-01-01")), stringHash("rabies shot")), `"-404525131"`},
		"pet type 1, cat":        {javaHash(1, stringHash("cat")), `"99254"`},
		"specialty 1, radiology": {javaHash(1, stringHash("radiology")), `"-969512944"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := etagOf(tt.got); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestStringHashCountsUTF16Units(t *testing.T) {
	// "😀".hashCode() in Java is 31*0xD83D + 0xDE00 = 1772899.
	if got := stringHash("😀"); got != 1772899 {
		t.Errorf("got %d, want 1772899", got)
	}
}

// FuzzStringHash checks stringHash against String.hashCode spelt out: the
// UTF-16 units of the string, invalid UTF-8 read as U+FFFD.
func FuzzStringHash(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want int32
		for _, c := range utf16.Encode([]rune(s)) {
			want = 31*want + int32(c)
		}
		if got := stringHash(s); got != want {
			t.Errorf("stringHash(%q) = %d, want %d", s, got, want)
		}
	})
}
