package api

import "testing"

func TestNeutralizeFormula(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "ifrc": "ifrc", "a=b": "a=b", "'=x": "'=x",
	} {
		if got := neutralizeFormula(in); got != want {
			t.Errorf("neutralizeFormula(%q) = %q, want %q", in, got, want)
		}
	}
	sheet := newCSVSheet()
	if err := sheet.row(textCell("-x"), numberCell("-12.5")); err != nil {
		t.Fatal(err)
	}
	if got, _ := sheet.bytes(); string(got) != "'-x,-12.5\n" {
		t.Errorf("row(text -x, number -12.5) = %q, want the number as it is", got)
	}
}
