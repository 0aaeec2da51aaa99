package stats_test

import (
	"fmt"

	"postlab/stats"
)

// R: t.test(log1p(evening), log1p(morning)) gives the same numbers.
func ExampleWelchLog() {
	morning := []float64{1200, 950, 3100, 870, 1500, 2200, 640, 1800}
	evening := []float64{2600, 1900, 5400, 1300, 3300, 2800, 4100, 2100}
	r, err := stats.WelchLog(morning, evening, 0.05)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("lift %+.0f%% (95%% CI %+.0f%% to %+.0f%%), p = %.3f\n",
		100*r.Lift, 100*r.LiftCILow, 100*r.LiftCIHigh, r.PValue)
	// Output:
	// lift +98% (95% CI +17% to +234%), p = 0.014
}

func ExampleWelchLog_insufficientData() {
	_, err := stats.WelchLog([]float64{1200}, []float64{2600, 1900}, 0.05)
	fmt.Println(err)
	// Output:
	// cannot test because the control group has fewer than 2 posts
}

func ExamplePowerT() {
	// Posts per variant to detect a 20% lift in views when log1p(views) has
	// an sd of 1.27, at alpha 0.05 with 80% power.
	p, err := stats.PowerT(1.27, 0.2, 0.05, 0.8)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.N)
	// Output:
	// 763
}

func ExamplePAdjust() {
	adjusted, _ := stats.PAdjust([]float64{0.01, 0.04, 0.03, 0.005}, "holm")
	fmt.Println(adjusted)
	// Output:
	// [0.03 0.06 0.06 0.02]
}
