/*
 * fuzz_topology.c: the consortium document parser and validator on
 * arbitrary bytes. Everything it returns is freed, so a leak is a finding;
 * so is an error without a path, or a result that does not validate again
 * as itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct topo_diags d, d2;
	json_t *doc, *again, *arr;
	size_t i;

	topo_diags_init(&d);
	doc = topology_load((const char *)data, size, &d);
	for (i = 0; i < d.n; i++)
		if (d.v[i].path == NULL || d.v[i].message == NULL ||
		    d.v[i].line < 0 || d.v[i].column < 0)
			abort();
	if ((doc == NULL) != (d.nerrors > 0))
		abort();
	arr = topo_diags_json(&d, 0);
	if (json_array_size(arr) != d.nerrors)
		abort();
	json_decref(arr);
	if (doc != NULL) {
		/* The normalized document is a fixed point of the checks. */
		topo_diags_init(&d2);
		again = topology_check(doc, &d2);
		if (again == NULL || !json_equal(again, doc) || d2.nerrors != 0)
			abort();
		if (topology_name(doc) == NULL)
			abort();
		json_decref(again);
		topo_diags_free(&d2);
	}
	json_decref(doc);
	topo_diags_free(&d);
	return 0;
}
