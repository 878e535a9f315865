/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handover_msg.c - the takeover records, bytes <-> structs (see
 * handover_msg.h; the layout table is in docs/backend.md).
 *
 * Body layouts (offset: field), all little-endian:
 *   HELLO, ACCEPT (8)  0 u32 pid  4 u32 0
 *   BEGIN (64)        0 u64 paused_ns  8 u64 next_session_id  16 u32 pid
 *                     20 u32 has_conn  24 u32 nregions  28 u32 nqueues
 *                     32 u32 nsessions  36 u32 engine_kind
 *                     40 u32 max_sessions  44 u32 workers
 *                     48 u64 max_memory  56 u64 0
 *   CONN (24)         0 u64 features  8 u64 protocol_features
 *                     16 u32 owner  20 u32 event_idx
 *   REGION (40)       0 u32 index  4 u32 0  8 u64 gpa  16 u64 size
 *                     24 u64 uva  32 u64 mmap_offset
 *   QUEUE (48)        0 u32 index  4 u32 num  8 u32 flags
 *                     12 u16 last_avail  14 u16 used_idx
 *                     16 u16 signalled_used  18 u16 0  20 u32 0
 *                     24 u64 desc  32 u64 avail  40 u64 used
 *   SESSION (56+k+a)  0 u64 id  8 u32 op_type  12 cipher_alg
 *                     16 direction  20 chain_order  24 hash_mode
 *                     28 mac_alg  32 hash_result_len  36 aad_len
 *                     40 key_len (k)  44 auth_key_len (a)  48 u64 0
 *                     56 key[k]  56+k auth_key[a]
 *   END (8)           0 u32 records  4 u32 0
 *   COMMIT (0)
 *   ABORT (1..200)    printable ASCII reason
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "handover_msg.h"

#define MIB (1ull << 20)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

const char *ho_type_name(unsigned type)
{
	static const char *const names[] = {
		[HO_HELLO] = "HELLO", [HO_BEGIN] = "BEGIN", [HO_CONN] = "CONN",
		[HO_REGION] = "REGION", [HO_QUEUE] = "QUEUE",
		[HO_SESSION] = "SESSION", [HO_END] = "END",
		[HO_ACCEPT] = "ACCEPT", [HO_COMMIT] = "COMMIT",
		[HO_ABORT] = "ABORT",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

static unsigned popcount3(uint32_t flags)
{
	return !!(flags & HO_Q_KICK_FD) + !!(flags & HO_Q_CALL_FD) +
	       !!(flags & HO_Q_ERR_FD);
}

unsigned ho_record_fds(const struct ho_record *rec)
{
	switch (rec->type) {
	case HO_BEGIN:
		return HO_BEGIN_FDS;
	case HO_CONN:
	case HO_REGION:
		return 1;
	case HO_QUEUE:
		return popcount3(rec->u.queue.flags);
	default:
		return 0;
	}
}

size_t ho_encode(const struct ho_record *rec, uint8_t *buf)
{
	uint8_t *b = buf + HO_HDR_LEN;
	size_t len = 0;

	memset(buf, 0, HO_MAX_RECORD);
	switch (rec->type) {
	case HO_HELLO:
	case HO_ACCEPT:
		put32(b, rec->u.hello.pid);
		len = 8;
		break;
	case HO_BEGIN: {
		const struct ho_begin *g = &rec->u.begin;

		put64(b, g->paused_ns);
		put64(b + 8, g->next_session_id);
		put32(b + 16, g->pid);
		put32(b + 20, g->has_conn);
		put32(b + 24, g->nregions);
		put32(b + 28, g->nqueues);
		put32(b + 32, g->nsessions);
		put32(b + 36, g->engine_kind);
		put32(b + 40, g->max_sessions);
		put32(b + 44, g->workers);
		put64(b + 48, g->max_memory);
		len = 64;
		break;
	}
	case HO_CONN:
		put64(b, rec->u.conn.features);
		put64(b + 8, rec->u.conn.protocol_features);
		put32(b + 16, rec->u.conn.owner);
		put32(b + 20, rec->u.conn.event_idx);
		len = 24;
		break;
	case HO_REGION: {
		const struct ho_region *g = &rec->u.region;

		put32(b, g->index);
		put64(b + 8, g->gpa);
		put64(b + 16, g->size);
		put64(b + 24, g->uva);
		put64(b + 32, g->mmap_offset);
		len = 40;
		break;
	}
	case HO_QUEUE: {
		const struct ho_queue *q = &rec->u.queue;

		put32(b, q->index);
		put32(b + 4, q->num);
		put32(b + 8, q->flags);
		put16(b + 12, q->last_avail);
		put16(b + 14, q->used_idx);
		put16(b + 16, q->signalled_used);
		put64(b + 24, q->desc_uva);
		put64(b + 32, q->avail_uva);
		put64(b + 40, q->used_uva);
		len = 48;
		break;
	}
	case HO_SESSION: {
		const struct ho_session *s = &rec->u.session;

		put64(b, s->id);
		put32(b + 8, s->op_type);
		put32(b + 12, s->cipher_alg);
		put32(b + 16, s->direction);
		put32(b + 20, s->chain_order);
		put32(b + 24, s->hash_mode);
		put32(b + 28, s->mac_alg);
		put32(b + 32, s->hash_result_len);
		put32(b + 36, s->aad_len);
		put32(b + 40, s->key_len);
		put32(b + 44, s->auth_key_len);
		memcpy(b + HO_SESSION_FIXED, s->key, s->key_len);
		memcpy(b + HO_SESSION_FIXED + s->key_len, s->auth_key,
		       s->auth_key_len);
		len = HO_SESSION_FIXED + s->key_len + s->auth_key_len;
		break;
	}
	case HO_END:
		put32(b, rec->u.end.records);
		len = 8;
		break;
	case HO_COMMIT:
		break;
	case HO_ABORT:
		len = strnlen(rec->u.reason, HO_MAX_REASON);
		for (size_t i = 0; i < len; i++) {
			char c = rec->u.reason[i];

			b[i] = c >= 0x20 && c < 0x7f ? (uint8_t)c : '?';
		}
		if (!len)
			b[len++] = '?';
		break;
	}
	put32(buf, HO_MAGIC);
	put16(buf + 4, HO_VERSION);
	put16(buf + 6, (uint16_t)rec->type);
	put32(buf + 8, (uint32_t)len);
	put32(buf + 12, ho_record_fds(rec));
	return HO_HDR_LEN + len;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

/* a + b <= 2^64 (a range of b bytes at a does not wrap) */
static bool no_wrap(uint64_t a, uint64_t b)
{
	return b == 0 || a + (b - 1) >= a;
}

static bool pow2_ring(uint32_t num)
{
	return num == 0 || (num <= 32768 && !(num & (num - 1)));
}

#define BAD(...) return fail(err, errlen, __VA_ARGS__)

static int parse_body(enum ho_type type, const uint8_t *b, size_t len,
		      struct ho_record *out, char *err, size_t errlen)
{
	switch (type) {
	case HO_HELLO:
	case HO_ACCEPT:
		if (len != 8)
			BAD("%s: %zu bytes, not 8", ho_type_name(type), len);
		out->u.hello.pid = get32(b);
		if (!out->u.hello.pid || out->u.hello.pid > 0x3fffffff || get32(b + 4))
			BAD("%s: pid %u or reserved field", ho_type_name(type),
			    out->u.hello.pid);
		return 0;
	case HO_BEGIN: {
		struct ho_begin *g = &out->u.begin;
		uint32_t has_conn;

		if (len != 64)
			BAD("BEGIN: %zu bytes, not 64", len);
		g->paused_ns = get64(b);
		g->next_session_id = get64(b + 8);
		g->pid = get32(b + 16);
		has_conn = get32(b + 20);
		g->nregions = get32(b + 24);
		g->nqueues = get32(b + 28);
		g->nsessions = get32(b + 32);
		g->engine_kind = get32(b + 36);
		g->max_sessions = get32(b + 40);
		g->workers = get32(b + 44);
		g->max_memory = get64(b + 48);
		g->has_conn = has_conn == 1;
		if (has_conn > 1 || get64(b + 56))
			BAD("BEGIN: has_conn %u or reserved field", has_conn);
		if (!g->pid || g->pid > 0x3fffffff)
			BAD("BEGIN: pid %u", g->pid);
		if (!g->next_session_id || g->next_session_id > INT64_MAX)
			BAD("BEGIN: session id counter %llu",
			    (unsigned long long)g->next_session_id);
		if (g->nregions > HO_MAX_REGIONS || g->nqueues > HO_MAX_QUEUES ||
		    g->nsessions > HO_MAX_SESSIONS)
			BAD("BEGIN: %u regions, %u queues, %u sessions",
			    g->nregions, g->nqueues, g->nsessions);
		if (!g->has_conn && (g->nregions || g->nqueues || g->nsessions))
			BAD("BEGIN: device state without a connection");
		if (g->engine_kind > 2)
			BAD("BEGIN: engine kind %u", g->engine_kind);
		if (!g->max_sessions || g->max_sessions > 1000000 ||
		    g->nsessions > g->max_sessions)
			BAD("BEGIN: max_sessions %u with %u sessions",
			    g->max_sessions, g->nsessions);
		if (g->workers > 256)
			BAD("BEGIN: %u workers", g->workers);
		if (g->max_memory < MIB || g->max_memory > (MIB << 20) ||
		    g->max_memory % MIB)
			BAD("BEGIN: max_memory %llu",
			    (unsigned long long)g->max_memory);
		return 0;
	}
	case HO_CONN: {
		uint32_t owner, eidx;

		if (len != 24)
			BAD("CONN: %zu bytes, not 24", len);
		out->u.conn.features = get64(b);
		out->u.conn.protocol_features = get64(b + 8);
		owner = get32(b + 16);
		eidx = get32(b + 20);
		if (owner > 1 || eidx > 1)
			BAD("CONN: owner %u event_idx %u", owner, eidx);
		out->u.conn.owner = owner;
		out->u.conn.event_idx = eidx;
		return 0;
	}
	case HO_REGION: {
		struct ho_region *g = &out->u.region;

		if (len != 40)
			BAD("REGION: %zu bytes, not 40", len);
		g->index = get32(b);
		g->gpa = get64(b + 8);
		g->size = get64(b + 16);
		g->uva = get64(b + 24);
		g->mmap_offset = get64(b + 32);
		if (g->index >= HO_MAX_REGIONS || get32(b + 4))
			BAD("REGION: index %u or reserved field", g->index);
		if (!g->size || !no_wrap(g->gpa, g->size) ||
		    !no_wrap(g->uva, g->size) || !no_wrap(g->mmap_offset, g->size))
			BAD("REGION %u: size 0x%llx wraps or is empty", g->index,
			    (unsigned long long)g->size);
		return 0;
	}
	case HO_QUEUE: {
		struct ho_queue *q = &out->u.queue;

		if (len != 48)
			BAD("QUEUE: %zu bytes, not 48", len);
		q->index = get32(b);
		q->num = get32(b + 4);
		q->flags = get32(b + 8);
		q->last_avail = get16(b + 12);
		q->used_idx = get16(b + 14);
		q->signalled_used = get16(b + 16);
		q->desc_uva = get64(b + 24);
		q->avail_uva = get64(b + 32);
		q->used_uva = get64(b + 40);
		if (q->index >= HO_MAX_QUEUES || get16(b + 18) || get32(b + 20))
			BAD("QUEUE: index %u or reserved field", q->index);
		if (!pow2_ring(q->num))
			BAD("QUEUE %u: ring size %u", q->index, q->num);
		if (q->flags & ~HO_Q_FLAGS)
			BAD("QUEUE %u: unknown flags 0x%x", q->index, q->flags);
		if ((q->flags & HO_Q_ADDR_SET) && !q->num)
			BAD("QUEUE %u: addresses without a size", q->index);
		return 0;
	}
	case HO_SESSION: {
		struct ho_session *s = &out->u.session;

		if (len < HO_SESSION_FIXED)
			BAD("SESSION: %zu bytes", len);
		s->id = get64(b);
		s->op_type = get32(b + 8);
		s->cipher_alg = get32(b + 12);
		s->direction = get32(b + 16);
		s->chain_order = get32(b + 20);
		s->hash_mode = get32(b + 24);
		s->mac_alg = get32(b + 28);
		s->hash_result_len = get32(b + 32);
		s->aad_len = get32(b + 36);
		s->key_len = get32(b + 40);
		s->auth_key_len = get32(b + 44);
		if (!s->id || s->id > INT64_MAX || get64(b + 48))
			BAD("SESSION: id %llu or reserved field",
			    (unsigned long long)s->id);
		if (s->key_len > HO_MAX_KEY || s->auth_key_len > HO_MAX_AUTH_KEY)
			BAD("SESSION %llu: key %u / auth key %u bytes",
			    (unsigned long long)s->id, s->key_len, s->auth_key_len);
		if (len != HO_SESSION_FIXED + s->key_len + s->auth_key_len)
			BAD("SESSION %llu: %zu bytes for keys of %u + %u",
			    (unsigned long long)s->id, len, s->key_len,
			    s->auth_key_len);
		memset(s->key, 0, sizeof(s->key));
		memset(s->auth_key, 0, sizeof(s->auth_key));
		memcpy(s->key, b + HO_SESSION_FIXED, s->key_len);
		memcpy(s->auth_key, b + HO_SESSION_FIXED + s->key_len,
		       s->auth_key_len);
		return 0;
	}
	case HO_END:
		if (len != 8 || get32(b + 4))
			BAD("END: %zu bytes or reserved field", len);
		out->u.end.records = get32(b);
		return 0;
	case HO_COMMIT:
		if (len)
			BAD("COMMIT: %zu bytes, not 0", len);
		return 0;
	case HO_ABORT:
		if (!len || len > HO_MAX_REASON)
			BAD("ABORT: reason of %zu bytes", len);
		for (size_t i = 0; i < len; i++)
			if (b[i] < 0x20 || b[i] >= 0x7f)
				BAD("ABORT: reason not printable");
		memcpy(out->u.reason, b, len);
		out->u.reason[len] = 0;
		return 0;
	}
	BAD("record type %u unknown", type);
}

int ho_parse(const uint8_t *buf, size_t len, unsigned nfds,
	     struct ho_record *out, char *err, size_t errlen)
{
	uint32_t magic, blen, hfds;
	uint16_t version, type;
	int r;

	if (len < HO_HDR_LEN)
		BAD("record of %zu bytes, shorter than its header", len);
	magic = get32(buf);
	version = get16(buf + 4);
	type = get16(buf + 6);
	blen = get32(buf + 8);
	hfds = get32(buf + 12);
	if (magic != HO_MAGIC)
		BAD("bad magic 0x%08x", magic);
	/* an ABORT reads the same in every version: a refusal for another
	 * version must be understood */
	if (version != HO_VERSION && type != HO_ABORT)
		BAD("handover version %u, this daemon speaks %u", version,
		    HO_VERSION);
	if (blen > HO_MAX_BODY || len != HO_HDR_LEN + blen)
		BAD("%s: body of %u bytes in a record of %zu", ho_type_name(type),
		    blen, len);
	memset(out, 0, sizeof(*out));
	out->type = (enum ho_type)type;
	r = parse_body(out->type, buf + HO_HDR_LEN, blen, out, err, errlen);
	if (r)
		return r;
	if (hfds != nfds || nfds != ho_record_fds(out))
		BAD("%s: %u fds announced, %u came, %u expected",
		    ho_type_name(type), hfds, nfds, ho_record_fds(out));
	return 0;
}

enum { ST_START, ST_STATE, ST_AFTER_END, ST_DONE, ST_ERROR };

void ho_reader_init(struct ho_reader *r, enum ho_role role)
{
	memset(r, 0, sizeof(*r));
	r->role = role;
	r->last_queue = -1;
}

bool ho_reader_complete(const struct ho_reader *r)
{
	return r->role == HO_ROLE_SUCCESSOR &&
	       (r->stage == ST_AFTER_END || r->stage == ST_DONE);
}

/* The record the state part expects next. */
static enum ho_type expected(const struct ho_reader *r)
{
	const struct ho_begin *g = &r->begin;

	if (g->has_conn && !r->conns)
		return HO_CONN;
	if (r->regions < g->nregions)
		return HO_REGION;
	if (r->queues < g->nqueues)
		return HO_QUEUE;
	if (r->sessions < g->nsessions)
		return HO_SESSION;
	return HO_END;
}

static int order(struct ho_reader *r, const struct ho_record *rec, char *err,
		 size_t errlen)
{
	if (rec->type == HO_ABORT && r->stage != ST_DONE) {
		r->stage = ST_DONE;
		return 0;
	}
	if (r->role == HO_ROLE_RUNNING) {
		if (r->stage == ST_START && rec->type == HO_HELLO) {
			r->stage = ST_AFTER_END;
			return 0;
		}
		if (r->stage == ST_AFTER_END && rec->type == HO_ACCEPT) {
			r->stage = ST_DONE;
			return 0;
		}
		BAD("%s where %s was expected", ho_type_name(rec->type),
		    r->stage == ST_START ? "HELLO" : "ACCEPT or ABORT");
	}
	switch (r->stage) {
	case ST_START:
		if (rec->type != HO_BEGIN)
			BAD("%s where BEGIN was expected", ho_type_name(rec->type));
		r->begin = rec->u.begin;
		r->stage = ST_STATE;
		return 0;
	case ST_STATE: {
		enum ho_type want = expected(r);

		if (rec->type != want)
			BAD("%s where %s was expected", ho_type_name(rec->type),
			    ho_type_name(want));
		switch (want) {
		case HO_CONN:
			r->conns++;
			return 0;
		case HO_REGION:
			if (rec->u.region.index != r->regions)
				BAD("REGION %u where %u was expected",
				    rec->u.region.index, r->regions);
			r->regions++;
			return 0;
		case HO_QUEUE:
			if ((int)rec->u.queue.index <= r->last_queue)
				BAD("QUEUE %u after %d", rec->u.queue.index,
				    r->last_queue);
			r->last_queue = (int)rec->u.queue.index;
			r->queues++;
			return 0;
		case HO_SESSION:
			if (rec->u.session.id >= r->begin.next_session_id)
				BAD("SESSION %llu not below the id counter %llu",
				    (unsigned long long)rec->u.session.id,
				    (unsigned long long)r->begin.next_session_id);
			r->sessions++;
			return 0;
		default:
			if (rec->u.end.records != r->conns + r->regions +
						  r->queues + r->sessions)
				BAD("END counts %u records, %u came",
				    rec->u.end.records, r->conns + r->regions +
				    r->queues + r->sessions);
			r->stage = ST_AFTER_END;
			return 0;
		}
	}
	case ST_AFTER_END:
		if (rec->type != HO_COMMIT)
			BAD("%s where COMMIT or ABORT was expected",
			    ho_type_name(rec->type));
		r->stage = ST_DONE;
		return 0;
	default:
		BAD("%s after the end of the conversation",
		    ho_type_name(rec->type));
	}
}

int ho_read(struct ho_reader *r, const uint8_t *buf, size_t len,
	    unsigned nfds, struct ho_record *out, char *err, size_t errlen)
{
	int ret;

	if (r->stage == ST_ERROR)
		BAD("conversation already failed");
	ret = ho_parse(buf, len, nfds, out, err, errlen);
	if (!ret)
		ret = order(r, out, err, errlen);
	if (ret)
		r->stage = ST_ERROR;
	return ret;
}
