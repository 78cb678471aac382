package service

// ScanBudget bounds the rows one filtered list request reads: a filter
// that selects few rows (a keyword, an attribute no index holds) would
// otherwise read the whole table for one page. The page then ends early,
// with a cursor where the reading stopped, so every page costs about the
// same wherever it is in the list and however large the org is. A
// variable so that tests can make pages end early without seeding tens of
// thousands of rows.
var ScanBudget = 20_000

// scanBatch is the most rows one store query of a scan reads.
const scanBatch = 1000

// Scan reads a list in its cursor order through fetch, keeping the rows
// keep accepts (nil keeps all), until limit are kept, the list runs out,
// or ScanBudget rows have been read. fetch(after, n) reads up to n rows
// after *after, or after the caller's own cursor when after is nil.
// Batches start at first rows and double up to max(first, scanBatch): a
// filter that keeps most rows reads little more than the page, a selective
// one reads in few queries.
//
// next is the row the following page resumes after, with more set: the
// last kept when the page is full, the last read when the budget ran out
// (the page may then hold fewer than limit, or none). more is false when
// the list was read to its end.
func Scan[T any](limit, first int, fetch func(after *T, n int) ([]T, error), keep func(T) bool) (kept []T, next T, more bool, err error) {
	var zero T
	if limit < 1 {
		return nil, zero, false, nil
	}
	var after *T
	n, most, budget := max(first, 1), max(first, scanBatch), ScanBudget
	if keep == nil {
		// Every row read is kept: the page's limit bounds the reading.
		budget = max(budget, limit)
	}
	for read := 0; ; {
		n = min(n, max(budget-read, 1))
		batch, err := fetch(after, n)
		if err != nil {
			return nil, zero, false, err
		}
		for i := range batch {
			read++
			if keep == nil || keep(batch[i]) {
				kept = append(kept, batch[i])
				if len(kept) == limit {
					return kept, batch[i], true, nil
				}
			}
		}
		if len(batch) < n {
			return kept, zero, false, nil
		}
		after = &batch[len(batch)-1]
		if read >= budget {
			return kept, *after, true, nil
		}
		n = min(2*n, most)
	}
}
