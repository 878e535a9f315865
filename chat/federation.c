/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * federation.c - the relay's NATS connection (see federation.h).
 *
 * Threads: libnats reads, reconnects and calls back on threads of its own
 * (global message delivery: a small pool, not a thread per room).  Those
 * callbacks touch nothing but `q` under `lock`: they append the message
 * (or a connection state change) and, when the queue was empty, write the
 * eventfd.  Everything else runs on the event loop's thread: fed_drain
 * takes the whole queue at once (one lock per batch), parses and hands on.
 */
#include "federation.h"

#include <nats/nats.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define RECONNECT_MIN_MS	100
#define RECONNECT_MAX_MS	2000
#define MAX_SERVERS		64

struct fed_item {
	natsMsg *msg;		/* NULL: a state change */
	int state;		/* enum fed_state */
};

struct fed_queue {
	struct fed_item *v;
	size_t len, cap, pos;
};

struct fed {
	natsOptions *opts;
	natsConnection *nc;
	natsSubscription *relays;
	int efd;
	pthread_mutex_t lock;
	struct fed_queue q;		/* shared, under lock */
	uint64_t overflow;		/* dropped: queue full (under lock) */
	struct fed_queue work;		/* the loop thread's batch */
	uint8_t *out;			/* encoding buffer (loop thread) */
	size_t out_cap;
	uint64_t malformed, overflow_logged;
	char *urls;
	int publish_failing;		/* for one log line per outage */
};

struct fed_sub {
	natsSubscription *sub;
};

static void wake(struct fed *f)
{
	uint64_t one = 1;
	ssize_t n = write(f->efd, &one, sizeof(one));

	(void)n;	/* EAGAIN: the counter is already non-zero */
}

/* On a libnats thread. */
static void push(struct fed *f, natsMsg *msg, int state)
{
	int was_empty;

	pthread_mutex_lock(&f->lock);
	if (f->q.len == f->q.cap && f->q.cap < FED_QUEUE_MAX) {
		size_t cap = f->q.cap ? f->q.cap * 2 : 256;
		struct fed_item *v = realloc(f->q.v, cap * sizeof(*v));

		if (v) {
			f->q.v = v;
			f->q.cap = cap;
		}
	}
	if (f->q.len == f->q.cap) {	/* full, or no memory */
		f->overflow++;
		pthread_mutex_unlock(&f->lock);
		if (msg)
			natsMsg_Destroy(msg);
		return;
	}
	was_empty = f->q.len == 0;
	f->q.v[f->q.len].msg = msg;
	f->q.v[f->q.len].state = state;
	f->q.len++;
	pthread_mutex_unlock(&f->lock);
	if (was_empty)
		wake(f);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
	(void)nc;
	(void)sub;
	push(arg, msg, 0);
}

static void on_connected(natsConnection *nc, void *arg)
{
	(void)nc;
	push(arg, NULL, FED_CONNECTED);
}

static void on_disconnected(natsConnection *nc, void *arg)
{
	(void)nc;
	push(arg, NULL, FED_DISCONNECTED);
}

/* Doubling from RECONNECT_MIN_MS to RECONNECT_MAX_MS, plus up to a
 * quarter of jitter so relays that lost the same node do not come back in
 * step.  attempts counts passes over the server list. */
static int64_t reconnect_delay(natsConnection *nc, int attempts, void *arg)
{
	int64_t d = RECONNECT_MIN_MS;
	struct timespec ts;

	(void)nc;
	(void)arg;
	while (attempts-- > 1 && d < RECONNECT_MAX_MS)
		d *= 2;
	if (d > RECONNECT_MAX_MS)
		d = RECONNECT_MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return d + (int64_t)((uint64_t)ts.tv_nsec * 2654435761u % (uint64_t)(d / 4 + 1));
}

static int split_urls(char *urls, const char **v, int *n, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	*n = 0;
	for (tok = strtok_r(urls, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!*tok || strpbrk(tok, " \t\r\n") || *n == MAX_SERVERS) {
			snprintf(err, errlen, "bad --nats URL list (at most %d URLs, "
				 "comma-separated, no blanks)", MAX_SERVERS);
			return -1;
		}
		v[(*n)++] = tok;
	}
	if (!*n) {
		snprintf(err, errlen, "--nats needs at least one URL");
		return -1;
	}
	return 0;
}

struct fed *fed_new(const char *urls, char *err, size_t errlen)
{
	struct fed *f = calloc(1, sizeof(*f));
	const char *servers[MAX_SERVERS];
	natsStatus st;
	int n;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->efd = -1;
	pthread_mutex_init(&f->lock, NULL);
	f->urls = strdup(urls);
	if (!f->urls) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	{
		char *copy = strdup(urls);

		if (!copy || split_urls(copy, servers, &n, err, errlen) < 0) {
			if (!copy)
				snprintf(err, errlen, "out of memory");
			free(copy);
			goto fail;
		}
		f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		st = f->efd < 0 ? NATS_SYS_ERROR : natsOptions_Create(&f->opts);
		if (st == NATS_OK)
			st = natsOptions_SetServers(f->opts, servers, n);
		free(copy);
	}
	if (st == NATS_OK)
		st = natsOptions_SetName(f->opts, "chat-server");
	if (st == NATS_OK)
		st = natsOptions_SetNoEcho(f->opts, true);
	if (st == NATS_OK)
		st = natsOptions_UseGlobalMessageDelivery(f->opts, true);
	if (st == NATS_OK)
		st = natsOptions_SetMaxReconnect(f->opts, -1);
	if (st == NATS_OK)
		st = natsOptions_SetCustomReconnectDelay(f->opts, reconnect_delay, f);
	if (st == NATS_OK)
		st = natsOptions_SetTimeout(f->opts, 2000);
	if (st == NATS_OK)
		st = natsOptions_SetPingInterval(f->opts, 5000);
	if (st == NATS_OK)
		st = natsOptions_SetMaxPingsOut(f->opts, 2);
	if (st == NATS_OK)
		st = natsOptions_SetDisconnectedCB(f->opts, on_disconnected, f);
	if (st == NATS_OK)
		st = natsOptions_SetReconnectedCB(f->opts, on_connected, f);
	if (st == NATS_OK)
		st = natsOptions_SetRetryOnFailedConnect(f->opts, true, on_connected, f);
	if (st == NATS_OK) {
		st = natsConnection_Connect(&f->nc, f->opts);
		if (st == NATS_OK)	/* connected at once: no callback for that */
			push(f, NULL, FED_CONNECTED);
		else if (st == NATS_NOT_YET_CONNECTED) {
			fprintf(stderr, "chat-server: NATS (%s) not reachable yet: serving "
				"local members, retrying in the background\n", urls);
			st = NATS_OK;
		}
	}
	if (st != NATS_OK) {
		snprintf(err, errlen, "NATS (%s): %s", urls, natsStatus_GetText(st));
		goto fail;
	}
	return f;
fail:
	fed_free(f);
	return NULL;
}

static void queue_free(struct fed_queue *q)
{
	size_t i;

	for (i = q->pos; i < q->len; i++)
		if (q->v[i].msg)
			natsMsg_Destroy(q->v[i].msg);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

void fed_free(struct fed *f)
{
	if (!f)
		return;
	if (f->relays) {
		natsSubscription_Unsubscribe(f->relays);
		natsSubscription_Destroy(f->relays);
	}
	if (f->nc) {
		/* What is still buffered (the leaves of a shutdown) goes out. */
		if (natsConnection_Status(f->nc) == NATS_CONN_STATUS_CONNECTED)
			(void)natsConnection_FlushTimeout(f->nc, 1000);
		natsConnection_Close(f->nc);
		natsConnection_Destroy(f->nc);
	}
	natsOptions_Destroy(f->opts);
	/* Waits for libnats' threads: no callback can run after this. */
	nats_CloseAndWait(2000);
	queue_free(&f->q);
	queue_free(&f->work);
	if (f->efd >= 0)
		close(f->efd);
	pthread_mutex_destroy(&f->lock);
	free(f->out);
	free(f->urls);
	free(f);
}

int fed_fd(const struct fed *f)
{
	return f->efd;
}

uint64_t fed_malformed(const struct fed *f)
{
	return f->malformed;
}

/* One message from NATS: well-formed, on the subject its content names. */
static void deliver(struct fed *f, const struct fed_handlers *h, natsMsg *msg)
{
	const char *subj = natsMsg_GetSubject(msg);
	char want[FED_SUBJECT_LEN];
	struct fed_msg m;
	int ok;

	ok = fed_parse((const uint8_t *)natsMsg_GetData(msg),
		       (size_t)natsMsg_GetDataLength(msg), &m) == 0;
	if (ok && m.room) {
		fed_room_subject(want, m.room);
		ok = subj && !strcmp(subj, want);
	} else if (ok) {
		ok = subj && !strcmp(subj, FED_RELAYS_SUBJECT);
	}
	if (ok) {
		h->msg(h->arg, &m);
		return;
	}
	f->malformed++;
	if (!(f->malformed & (f->malformed - 1)))	/* 1, 2, 4, 8 ... */
		fprintf(stderr, "chat-server: dropped a malformed NATS message on %s "
			"(%d bytes; %llu so far)\n", subj ? subj : "?",
			natsMsg_GetDataLength(msg), (unsigned long long)f->malformed);
}

int fed_drain(struct fed *f, const struct fed_handlers *h, unsigned max)
{
	uint64_t overflow, cnt;
	unsigned done = 0;
	char url[256];
	int left;

	if (read(f->efd, &cnt, sizeof(cnt)) < 0)
		cnt = 0;	/* EAGAIN: nothing new */
	while (done < max) {
		struct fed_item it;

		if (f->work.pos == f->work.len) {
			struct fed_queue t;

			pthread_mutex_lock(&f->lock);
			t = f->q;
			f->work.len = f->work.pos = 0;
			f->q = f->work;		/* the empty array goes back */
			f->work = t;
			overflow = f->overflow;
			pthread_mutex_unlock(&f->lock);
			if (overflow != f->overflow_logged) {
				fprintf(stderr, "chat-server: NATS messages arrive faster "
					"than handled: %llu dropped\n",
					(unsigned long long)overflow);
				f->overflow_logged = overflow;
			}
			if (f->work.pos == f->work.len)
				break;
		}
		it = f->work.v[f->work.pos++];
		done++;
		if (it.msg) {
			deliver(f, h, it.msg);
			natsMsg_Destroy(it.msg);
		} else {
			if (natsConnection_GetConnectedUrl(f->nc, url, sizeof(url)) != NATS_OK ||
			    !url[0])
				snprintf(url, sizeof(url), "%s", f->urls);
			h->state(h->arg, (enum fed_state)it.state, url);
		}
	}
	left = f->work.pos < f->work.len;
	if (!left) {
		pthread_mutex_lock(&f->lock);
		left = f->q.len > 0;
		pthread_mutex_unlock(&f->lock);
	}
	return left;
}

int fed_subscribe_relays(struct fed *f)
{
	natsStatus st = natsConnection_Subscribe(&f->relays, f->nc, FED_RELAYS_SUBJECT,
						 on_msg, f);

	if (st != NATS_OK) {
		fprintf(stderr, "chat-server: NATS subscribe %s: %s\n", FED_RELAYS_SUBJECT,
			natsStatus_GetText(st));
		f->relays = NULL;
		return -EIO;
	}
	return 0;
}

struct fed_sub *fed_subscribe_room(struct fed *f, const uint8_t *room)
{
	struct fed_sub *s = calloc(1, sizeof(*s));
	char subj[FED_SUBJECT_LEN];
	natsStatus st;

	if (!s)
		return NULL;
	fed_room_subject(subj, room);
	st = natsConnection_Subscribe(&s->sub, f->nc, subj, on_msg, f);
	if (st == NATS_OK)	/* a busy room must not be cut off by libnats' defaults */
		st = natsSubscription_SetPendingLimits(s->sub, 1000000, 512 * 1024 * 1024);
	if (st != NATS_OK) {
		fprintf(stderr, "chat-server: NATS subscribe %s: %s\n", subj,
			natsStatus_GetText(st));
		if (s->sub)
			natsSubscription_Destroy(s->sub);
		free(s);
		return NULL;
	}
	return s;
}

void fed_unsubscribe(struct fed *f, struct fed_sub *s)
{
	(void)f;
	if (!s)
		return;
	natsSubscription_Unsubscribe(s->sub);
	natsSubscription_Destroy(s->sub);
	free(s);
}

int fed_publish(struct fed *f, const struct fed_msg *m, const uint32_t *ids)
{
	size_t len = fed_len(m);
	char subj[FED_SUBJECT_LEN];
	natsStatus st;

	if (len > f->out_cap) {
		uint8_t *o = realloc(f->out, len);

		if (!o)
			return -ENOMEM;
		f->out = o;
		f->out_cap = len;
	}
	fed_encode(f->out, m, ids);
	if (m->room)
		fed_room_subject(subj, m->room);
	st = natsConnection_Publish(f->nc, m->room ? subj : FED_RELAYS_SUBJECT,
				    f->out, (int)len);
	if (st != NATS_OK) {
		if (!f->publish_failing)
			fprintf(stderr, "chat-server: NATS publish: %s (serving local "
				"members; retrying)\n", natsStatus_GetText(st));
		f->publish_failing = 1;
		return -EIO;
	}
	f->publish_failing = 0;
	return 0;
}
