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
 * The history worker (hist_main) is the one other thread: it makes the
 * blocking JetStream calls (the stream at each connection, a room's stored
 * messages on request) and pushes what it fetched onto the same queue,
 * marked as history; it shares only `hq` (under `lock`) with the loop.
 */
#include "federation.h"

#include "proto/clock.h"

#include <nats/nats.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
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
	int history;		/* msg was fetched from JetStream */
};

/* A request to the history worker. */
enum hist_kind {
	HIST_ROOM,		/* fetch a room's messages */
	HIST_STREAM,		/* make sure the stream exists (after a connect) */
	HIST_RETRY,		/* the same, if it was unavailable last time */
};
struct hist_req {
	uint8_t room[CHAT_ROOM_ID_LEN];
	int kind;		/* enum hist_kind */
};

#define HIST_QUEUE_MAX		4096u	/* requests waiting; more are dropped */
#define HIST_WAIT_MS		2000	/* per JetStream request, per message */

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
	/* history (NULL/0 when off); hq* under lock */
	pthread_t hthread;
	int hstarted, hstop;
	pthread_cond_t hcond;
	struct hist_req *hq;
	size_t hq_len, hq_cap;
	uint32_t hmsgs;
	uint64_t hage_ms;
	unsigned hreplicas;
	jsCtx *js;			/* worker thread only */
	int hstream_ok, hlogged;	/* worker thread only */
};

struct fed_sub {
	natsSubscription *sub;
};

static void hist_request(struct fed *f, int kind, const uint8_t *room);

static void wake(struct fed *f)
{
	uint64_t one = 1;
	ssize_t n = write(f->efd, &one, sizeof(one));

	(void)n;	/* EAGAIN: the counter is already non-zero */
}

/* On a libnats thread (or the history worker). */
static void push_item(struct fed *f, natsMsg *msg, int state, int history)
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
	f->q.v[f->q.len].history = history;
	f->q.len++;
	pthread_mutex_unlock(&f->lock);
	if (was_empty)
		wake(f);
}

static void push(struct fed *f, natsMsg *msg, int state)
{
	push_item(f, msg, state, 0);
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

	(void)nc;
	(void)arg;
	while (attempts-- > 1 && d < RECONNECT_MAX_MS)
		d *= 2;
	if (d > RECONNECT_MAX_MS)
		d = RECONNECT_MAX_MS;
	return d + (int64_t)(clock_mono_ns() % 1000000000u * 2654435761u %
			     (uint64_t)(d / 4 + 1));
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
	pthread_cond_init(&f->hcond, NULL);
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

static void hist_stop(struct fed *f);

void fed_free(struct fed *f)
{
	if (!f)
		return;
	hist_stop(f);
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
	pthread_cond_destroy(&f->hcond);
	free(f->hq);
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

/* One message from NATS: well-formed, on the subject its content names
 * (history: only MSGs, on their room's message subject). */
static void deliver(struct fed *f, const struct fed_handlers *h, natsMsg *msg,
		    int history)
{
	const char *subj = natsMsg_GetSubject(msg);
	char want[FED_SUBJECT_LEN];
	struct fed_msg m;
	int ok;

	ok = fed_parse((const uint8_t *)natsMsg_GetData(msg),
		       (size_t)natsMsg_GetDataLength(msg), &m) == 0;
	if (ok && m.room) {
		fed_room_subject(want, m.room, m.type);
		ok = subj && !strcmp(subj, want);
	} else if (ok) {
		ok = subj && !strcmp(subj, FED_RELAYS_SUBJECT);
	}
	if (ok && history)
		ok = m.type == FED_T_MSG;
	if (ok) {
		(history ? h->history : h->msg)(h->arg, &m);
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
			deliver(f, h, it.msg, it.history);
			natsMsg_Destroy(it.msg);
		} else {
			if (it.state == FED_CONNECTED)
				hist_request(f, HIST_STREAM, NULL);
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
	fed_room_subject(subj, room, 0);
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
		fed_room_subject(subj, m->room, m->type);
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

/* ---- history (JetStream) ------------------------------------------------ */

/* On the worker: the stream exists (made now if missing).  0 or -1. */
static int hist_stream(struct fed *f)
{
	const char *subjects[] = { FED_HISTORY_SUBJECTS };
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	if (!f->js) {
		jsOptions o;

		jsOptions_Init(&o);
		o.Wait = HIST_WAIT_MS;
		if (natsConnection_JetStream(&f->js, f->nc, &o) != NATS_OK)
			return -1;
	}
	jsStreamConfig_Init(&cfg);
	cfg.Name = FED_HISTORY_STREAM;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Retention = js_LimitsPolicy;
	cfg.Discard = js_DiscardOld;
	cfg.MaxMsgsPerSubject = f->hmsgs;
	cfg.MaxAge = (int64_t)f->hage_ms * 1000000;	/* ns */
	cfg.MaxMsgSize = FED_MSG_HDR_LEN + CHAT_MAX_MSG;
	cfg.Replicas = (int64_t)f->hreplicas;
	st = js_AddStream(&si, f->js, &cfg, NULL, &jerr);
	if (st == NATS_OK || jerr == JSStreamNameExistErr) {
		if (st != NATS_OK && !f->hlogged)
			fprintf(stderr, "chat-server: JetStream stream %s exists with other "
				"settings: using it as it is\n", FED_HISTORY_STREAM);
		jsStreamInfo_Destroy(si);
		if (f->hlogged || !f->hstream_ok)
			fprintf(stderr, "chat-server: room history in JetStream stream %s\n",
				FED_HISTORY_STREAM);
		f->hstream_ok = 1;
		f->hlogged = 0;
		return 0;
	}
	if (!f->hlogged)
		fprintf(stderr, "chat-server: JetStream unavailable (%s, error %d): "
			"room history kept in this relay's memory only, until it is "
			"back\n", natsStatus_GetText(st), (int)jerr);
	f->hlogged = 1;
	f->hstream_ok = 0;
	return -1;
}

/* On the worker: how many messages of subject the stream holds (-1 when
 * it cannot tell). */
static int64_t hist_count(struct fed *f, const char *subj)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	int64_t n = 0;
	jsOptions o;
	int i;

	jsOptions_Init(&o);
	o.Wait = HIST_WAIT_MS;
	o.Stream.Info.SubjectsFilter = subj;
	if (js_GetStreamInfo(&si, f->js, FED_HISTORY_STREAM, &o, &jerr) != NATS_OK)
		return -1;
	for (i = 0; si->State.Subjects && i < si->State.Subjects->Count; i++)
		if (!strcmp(si->State.Subjects->List[i].Subject, subj))
			n = (int64_t)si->State.Subjects->List[i].Msgs;
	jsStreamInfo_Destroy(si);
	return n;
}

/* On the worker: the room's stored messages, oldest first, onto the queue
 * (an ordered consumer, deleted when done). */
static void hist_fetch(struct fed *f, const uint8_t *room)
{
	char subj[FED_SUBJECT_LEN];
	natsSubscription *sub = NULL;
	jsErrCode jerr = 0;
	jsSubOptions so;
	int64_t left;

	if (!f->hstream_ok && hist_stream(f) < 0)
		return;
	fed_room_subject(subj, room, FED_T_MSG);
	left = hist_count(f, subj);
	if (left <= 0) {
		if (left < 0)
			f->hstream_ok = 0;	/* check the stream again next time */
		return;
	}
	jsSubOptions_Init(&so);
	so.Stream = FED_HISTORY_STREAM;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverAll;
	if (js_SubscribeSync(&sub, f->js, subj, NULL, &so, &jerr) != NATS_OK) {
		fprintf(stderr, "chat-server: JetStream: cannot read the history of %s "
			"(error %d)\n", subj, (int)jerr);
		return;
	}
	while (left > 0 && !f->hstop) {
		jsMsgMetaData *meta = NULL;
		natsMsg *msg = NULL;
		uint64_t pending = 0;

		if (natsSubscription_NextMsg(&msg, sub, HIST_WAIT_MS) != NATS_OK)
			break;
		if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
			pending = meta->NumPending;
			jsMsgMetaData_Destroy(meta);
		}
		push_item(f, msg, 0, 1);
		left = (int64_t)pending;	/* what the stream has beyond it */
	}
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
}

static void *hist_main(void *arg)
{
	struct fed *f = arg;
	struct hist_req r;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->hstop && !f->hq_len)
			pthread_cond_wait(&f->hcond, &f->lock);
		if (f->hstop)
			break;
		r = f->hq[0];
		memmove(f->hq, f->hq + 1, --f->hq_len * sizeof(*f->hq));
		pthread_mutex_unlock(&f->lock);
		if (natsConnection_Status(f->nc) == NATS_CONN_STATUS_CONNECTED) {
			if (r.kind == HIST_ROOM)
				hist_fetch(f, r.room);
			else if (r.kind == HIST_STREAM || !f->hstream_ok)
				(void)hist_stream(f);
		}
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* On the loop thread: a request for the worker (room: with HIST_ROOM); one
 * already waiting is not asked for twice. */
static void hist_request(struct fed *f, int kind, const uint8_t *room)
{
	size_t i;

	if (!f->hstarted)
		return;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->hq_len; i++)
		if (f->hq[i].kind == kind &&
		    (kind != HIST_ROOM || !memcmp(f->hq[i].room, room, CHAT_ROOM_ID_LEN)))
			goto out;
	if (f->hq_len == f->hq_cap) {
		size_t cap = f->hq_cap ? f->hq_cap * 2 : 16;
		struct hist_req *v = cap > HIST_QUEUE_MAX ? NULL :
				     realloc(f->hq, cap * sizeof(*v));

		if (!v) {
			fprintf(stderr, "chat-server: too many history requests waiting: "
				"one dropped\n");
			goto out;
		}
		f->hq = v;
		f->hq_cap = cap;
	}
	memset(&f->hq[f->hq_len], 0, sizeof(f->hq[0]));
	if (kind == HIST_ROOM)
		memcpy(f->hq[f->hq_len].room, room, CHAT_ROOM_ID_LEN);
	f->hq[f->hq_len++].kind = kind;
	pthread_cond_signal(&f->hcond);
out:
	pthread_mutex_unlock(&f->lock);
}

int fed_history_start(struct fed *f, uint32_t msgs, uint64_t age_ms,
		      unsigned replicas)
{
	sigset_t all, old;
	int rc;

	f->hmsgs = msgs;
	f->hage_ms = age_ms;
	f->hreplicas = replicas;
	sigfillset(&all);	/* signals are the event loop's (signalfd) */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&f->hthread, NULL, hist_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	f->hstarted = 1;
	if (natsConnection_Status(f->nc) == NATS_CONN_STATUS_CONNECTED)
		hist_request(f, HIST_STREAM, NULL);
	return 0;
}

void fed_history_fetch(struct fed *f, const uint8_t *room)
{
	hist_request(f, HIST_ROOM, room);
}

void fed_history_tick(struct fed *f)
{
	hist_request(f, HIST_RETRY, NULL);
}

static void hist_stop(struct fed *f)
{
	if (!f->hstarted)
		return;
	pthread_mutex_lock(&f->lock);
	f->hstop = 1;
	pthread_cond_signal(&f->hcond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->hthread, NULL);
	f->hstarted = 0;
	jsCtx_Destroy(f->js);
	f->js = NULL;
}
