/* The sender allow-list: CIDR parsing (IPv4, IPv6, bare addresses, bad
 * entries named), matching at prefix boundaries, and IPv4-mapped senders
 * from a dual-stack socket matched as IPv4. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/allow.h"

static bool allowed(const struct allow_list *a, const char *addr)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, addr, buf) == 1)
		return allow_match(a, AF_INET, buf);
	assert_int_equal(inet_pton(AF_INET6, addr, buf), 1);
	return allow_match(a, AF_INET6, buf);
}

static void test_match(void **state)
{
	struct allow_list a;
	char err[160];

	(void)state;
	assert_int_equal(allow_parse(&a, "10.0.0.0/8, 192.168.7.9,172.16.0.0/12,2001:db8::/32",
				     err, sizeof(err)), 0);
	assert_int_equal(a.count, 4);
	assert_true(allowed(&a, "10.255.1.2"));
	assert_false(allowed(&a, "11.0.0.1"));
	assert_true(allowed(&a, "192.168.7.9"));
	assert_false(allowed(&a, "192.168.7.10"));
	assert_true(allowed(&a, "172.31.255.255"));      /* /12 ends at 172.31 */
	assert_false(allowed(&a, "172.32.0.0"));
	assert_true(allowed(&a, "2001:db8:ffff::1"));
	assert_false(allowed(&a, "2001:db9::1"));
	assert_false(allowed(&a, "::ffff:10.0.0.1"));     /* raw IPv6: not IPv4 */

	assert_int_equal(allow_parse(&a, "10.1.2.3/30", err, sizeof(err)), 0);  /* host bits cut */
	assert_true(allowed(&a, "10.1.2.0") && allowed(&a, "10.1.2.3"));
	assert_false(allowed(&a, "10.1.2.4"));
	assert_int_equal(allow_parse(&a, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_true(allowed(&a, "1.2.3.4"));
	assert_false(allowed(&a, "::1"));
	assert_int_equal(allow_parse(&a, "", err, sizeof(err)), 0);              /* any */
	assert_true(allowed(&a, "1.2.3.4") && allowed(&a, "::1"));
}

static void test_sockaddr(void **state)
{
	struct allow_list a;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	char err[160];

	(void)state;
	assert_int_equal(allow_parse(&a, "127.0.0.2/32", err, sizeof(err)), 0);
	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &in6->sin6_addr);
	assert_true(allow_sockaddr(&a, &ss));
	inet_pton(AF_INET6, "::ffff:127.0.0.3", &in6->sin6_addr);
	assert_false(allow_sockaddr(&a, &ss));
	memset(&ss, 0, sizeof(ss));
	in4->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &in4->sin_addr);
	assert_true(allow_sockaddr(&a, &ss));
}

static void test_bad_entries_named(void **state)
{
	static const char *const bad[] = { "10.0.0.0/33", "10.0.0.0/", "ten.0.0.0/8",
					   "2001:db8::/129", "10.0.0.0/8x" };
	struct allow_list a;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(allow_parse(&a, bad[i], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_bad_entries_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
