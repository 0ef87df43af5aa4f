package shell

import (
	"reflect"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"  \t ", nil, false},
		{"dis  main.main", []string{"dis", "main.main"}, false},
		{"\techo a\tb ", []string{"echo", "a", "b"}, false},
		{`echo "a b"  c`, []string{"echo", "a b", "c"}, false},
		{`echo "" x`, []string{"echo", "", "x"}, false},
		{`a"b c"d`, []string{"ab cd"}, false},
		{`echo "open`, nil, true},
	}
	for _, tt := range tests {
		got, err := tokenize(tt.in)
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tokenize(%q) = %q, %v; want %q, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
