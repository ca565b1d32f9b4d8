'use strict';
// A local Telegram Bot API for Chorus's Telegram tests.
//
// It is the npm package telegram-test-api (4.2.1) with a compatibility layer for
// python-telegram-bot 22, so that the real PTB Application talks HTTP to it on 127.0.0.1:
//   * getMe with is_bot; message dates in seconds; clean Message objects in results;
//     chat_instance on callback queries; every Telegram chat a real Chat object.
//   * getUpdates as Telegram does it: long polling up to `timeout`, updates kept until a
//     later `offset` confirms them, `limit`, `allowed_updates` (chat_member only on request),
//     deleteWebhook's drop_pending_updates.
//   * Telegram's refusals: 400 "chat not found", 403 for a group the bot was kicked from or
//     left and for a private chat the user never started or blocked, 400 "not enough rights
//     to send text messages to the chat" where the bot is restricted (a member that may not
//     post: `/setChat` with botStatus "restricted"), 400 with
//     migrate_to_chat_id for a migrated group, 400 for HTML that does not parse, for text over
//     4096 UTF-16 units (caption: 1024) or empty, for callback data over 64 bytes.
//   * sendDocument (multipart), getChat, getChatMember, getChatAdministrators,
//     setMyCommands / getMyCommands / deleteMyCommands, answerCallbackQuery, editMessageText.
//   * Unknown tokens get 401 when TG_EMU_TOKENS lists the accepted ones.
// Test controls (not Bot API, all POST JSON): /reset, /setChat, /setMember, /memberUpdate,
// /migrate, /pressButton, /fail (inject any error, optionally for one chat), /setLimits
// (enforce Telegram's flood limits with a computed retry_after), /calls, /commands.
//
// It listens on a port the OS picks and prints "listening on http://127.0.0.1:PORT" as its
// first line on stdout. It stops on SIGTERM or SIGINT.
const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');
const multer = require('multer');

const upload = multer({ storage: multer.memoryStorage() });
const BOT = {
  id: 7000001,
  is_bot: true,
  first_name: 'Chorus',
  username: 'ChorusTestBot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
};
const TOKENS = (process.env.TG_EMU_TOKENS || '').split(',').filter(Boolean);
const SENDING = new Set(['sendMessage', 'sendDocument', 'sendPhoto']);
const DEFAULT_UPDATES = ['message', 'edited_message', 'channel_post', 'edited_channel_post',
  'callback_query', 'my_chat_member', 'inline_query', 'chosen_inline_result'];
const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span',
  'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);

function freshState() {
  return {
    calls: [],
    chats: new Map(), // chat id -> {chat, botStatus, started, blocked, migratedTo, permissions}
    members: new Map(), // `${chat}:${user}` -> ChatMember JSON
    failures: [],
    limits: null,
    windows: { global: [], chat: new Map(), group: new Map() },
    commands: new Map(),
    allowed: new Map(),
    files: new Map(),
    fileSeq: 1,
    callbackSeq: 1,
  };
}
let state = freshState();

const nowSeconds = () => Math.floor(Date.now() / 1000);
const key = (id) => String(id);

function parseJson(value) {
  if (typeof value !== 'string') return value;
  try { return JSON.parse(value); } catch (_e) { return undefined; }
}

function chatEntry(id) {
  return state.chats.get(key(id));
}

function chatObject(id) {
  const entry = chatEntry(id);
  if (entry) return entry.chat;
  return Number(id) < 0 ? { id: Number(id), type: 'supergroup', title: 'Group' }
    : { id: Number(id), type: 'private', first_name: 'User' };
}

function rememberChat(chat, changes) {
  if (!chat || chat.id === undefined) return null;
  let entry = chatEntry(chat.id);
  if (!entry) {
    entry = { chat: { ...chat, id: Number(chat.id) }, botStatus: 'member', started: false, blocked: false };
    state.chats.set(key(chat.id), entry);
  } else if (chat.type) {
    entry.chat = { ...entry.chat, ...chat, id: Number(chat.id) };
  }
  Object.assign(entry, changes || {});
  return entry;
}

function apiError(res, code, description, parameters) {
  const body = { ok: false, error_code: code, description };
  if (parameters) body.parameters = parameters;
  res.status(code).json(body);
  return body;
}

function utf8Offset(text, index) {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

// Telegram's HTML: the listed tags, properly nested; only &lt; &gt; &amp; &quot; and numeric
// entities. A bare "&" is refused here (Telegram may keep it literally): stricter on purpose,
// so that an unescaped piece of user text fails the tests.
function parseHtml(source) {
  let text = '';
  const stack = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '<') {
      const end = source.indexOf('>', i);
      if (end < 0) return { error: `Can't parse entities: unclosed start tag at byte offset ${utf8Offset(source, i)}` };
      const inner = source.slice(i + 1, end);
      if (inner.startsWith('/')) {
        const name = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (open !== name) {
          return { error: `Can't parse entities: can't find end tag corresponding to start tag "${open || name}"` };
        }
      } else {
        const match = /^([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))*)\s*\/?$/.exec(inner);
        const name = match ? match[1].toLowerCase() : inner.split(/\s/)[0];
        if (!match || !HTML_TAGS.has(name)) {
          return { error: `Can't parse entities: unsupported start tag "${name}" at byte offset ${utf8Offset(source, i)}` };
        }
        const attributes = {};
        const attributePattern = /([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
        let attribute;
        while ((attribute = attributePattern.exec(match[2])) !== null) {
          attributes[attribute[1].toLowerCase()] = attribute[2] ?? attribute[3] ?? attribute[4];
        }
        if (name === 'span' && attributes.class !== 'tg-spoiler') {
          return { error: `Can't parse entities: unsupported start tag "span" at byte offset ${utf8Offset(source, i)}` };
        }
        if (name === 'a' && attributes.href !== undefined) {
          const href = decodeEntities(attributes.href);
          if (href === null) return { error: "Can't parse entities: unsupported HTML entity in an attribute" };
          if (/^\s*(javascript|data|vbscript):/i.test(href)) return { error: 'Wrong HTTP URL' };
        }
        stack.push(name);
      }
      i = end + 1;
      continue;
    }
    if (c === '&') {
      const match = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/.exec(source.slice(i, i + 12));
      if (!match) return { error: `Can't parse entities: unsupported HTML entity at byte offset ${utf8Offset(source, i)}` };
      text += decodeEntities(match[0]);
      i += match[0].length;
      continue;
    }
    text += c;
    i += 1;
  }
  if (stack.length) {
    return { error: `Can't parse entities: can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  }
  return { text };
}

function decodeEntities(value) {
  let bad = false;
  const decoded = value.replace(/&([^;\s]*);?/g, (whole, name) => {
    if (name === 'lt') return '<';
    if (name === 'gt') return '>';
    if (name === 'amp') return '&';
    if (name === 'quot') return '"';
    if (/^#\d+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    bad = true;
    return whole;
  });
  return bad ? null : decoded;
}

// The text a user sees: markup parsed away. Lengths are JS string lengths, i.e. UTF-16 units.
function visibleText(text, parseMode) {
  if (text === undefined || text === null) return { text: '' };
  if (String(parseMode || '').toLowerCase() === 'html') return parseHtml(String(text));
  return { text: String(text) };
}

function checkMarkup(raw) {
  if (raw === undefined) return null;
  const markup = parseJson(raw);
  if (!markup || typeof markup !== 'object') return 'Bad Request: can\'t parse reply keyboard markup JSON object';
  for (const row of markup.inline_keyboard || []) {
    for (const button of row) {
      if (!button.text) return 'Bad Request: text buttons are unallowed in the inline keyboard';
      const kinds = ['url', 'callback_data'].filter((k) => button[k] !== undefined);
      if (kinds.length !== 1) return 'Bad Request: can\'t parse inline keyboard button';
      if (button.callback_data !== undefined) {
        const size = Buffer.byteLength(String(button.callback_data), 'utf8');
        if (size < 1 || size > 64) return 'Bad Request: BUTTON_DATA_INVALID';
      }
      if (button.url !== undefined && !/^(https?|tg):\/\//i.test(button.url)) return 'Bad Request: BUTTON_URL_INVALID';
    }
  }
  return null;
}

// Why Telegram would refuse this send, or null.
function refusal(method, params) {
  const entry = chatEntry(params.chat_id);
  if (!entry) return { code: 400, description: 'Bad Request: chat not found' };
  if (entry.migratedTo) {
    return { code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: entry.migratedTo } };
  }
  const type = entry.chat.type;
  if (type === 'private') {
    if (entry.blocked) return { code: 403, description: 'Forbidden: bot was blocked by the user' };
    if (!entry.started) return { code: 403, description: "Forbidden: bot can't initiate conversation with a user" };
  } else if (entry.botStatus === 'kicked') {
    return { code: 403, description: `Forbidden: bot was kicked from the ${type} chat` };
  } else if (entry.botStatus === 'left') {
    return { code: 403, description: `Forbidden: bot is not a member of the ${type} chat` };
  } else if (entry.botStatus === 'restricted') {
    // Still a member, but an administrator took away its right to post.
    const what = method === 'sendMessage' ? 'text messages' : 'documents';
    return { code: 400, description: `Bad Request: not enough rights to send ${what} to the chat` };
  }
  const caption = method !== 'sendMessage';
  const parsed = visibleText(caption ? params.caption : params.text, params.parse_mode);
  if (parsed.error) return { code: 400, description: `Bad Request: ${parsed.error}` };
  if (caption) {
    if (parsed.text.length > 1024) return { code: 400, description: 'Bad Request: message caption is too long' };
  } else {
    if (parsed.text.length > 4096) return { code: 400, description: 'Bad Request: message is too long' };
    if (!parsed.text.trim()) return { code: 400, description: 'Bad Request: message text is empty' };
  }
  const markupProblem = checkMarkup(params.reply_markup);
  if (markupProblem) return { code: 400, description: markupProblem };
  return null;
}

// Telegram's flood limits, when a test turned them on: the seconds to wait, or 0.
function floodWait(chatId) {
  const limits = state.limits;
  if (!limits) return 0;
  const now = Date.now();
  const prune = (list, span) => { while (list.length && list[0] <= now - span) list.shift(); return list; };
  const wait = (list, span) => Math.max(1, Math.ceil((list[0] + span - now) / 1000));
  const all = prune(state.windows.global, 1000);
  if (limits.global_per_s && all.length >= limits.global_per_s) return wait(all, 1000);
  const id = key(chatId);
  if (!state.windows.chat.has(id)) state.windows.chat.set(id, []);
  const chat = prune(state.windows.chat.get(id), 1000);
  if (limits.chat_per_s && chat.length >= limits.chat_per_s) return wait(chat, 1000);
  let group = null;
  if (Number(chatId) < 0 && limits.group_per_min) {
    if (!state.windows.group.has(id)) state.windows.group.set(id, []);
    group = prune(state.windows.group.get(id), 60000);
    if (group.length >= limits.group_per_min) return wait(group, 60000);
  }
  all.push(now);
  chat.push(now);
  if (group) group.push(now);
  return 0;
}

function memberJson(chatId, userId) {
  const stored = state.members.get(`${key(chatId)}:${key(userId)}`);
  if (stored) return stored;
  if (Number(userId) === BOT.id) {
    const entry = chatEntry(chatId);
    return memberOf(BOT, entry ? entry.botStatus : 'left');
  }
  return memberOf({ id: Number(userId), is_bot: false, first_name: 'User' }, 'member');
}

function memberOf(user, status, extra) {
  const member = { status, user };
  if (status === 'creator') Object.assign(member, { is_anonymous: false });
  if (status === 'administrator') {
    Object.assign(member, {
      can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true,
      can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false,
      can_change_info: true, can_invite_users: true, can_post_stories: false,
      can_edit_stories: false, can_delete_stories: false, can_post_messages: true,
    });
  }
  if (status === 'restricted') {
    Object.assign(member, {
      is_member: true, can_change_info: false, can_invite_users: false, can_pin_messages: false,
      can_send_messages: false, can_send_polls: false, can_send_other_messages: false,
      can_add_web_page_previews: false, can_manage_topics: false, until_date: 0,
      can_send_audios: false, can_send_documents: false, can_send_photos: false,
      can_send_videos: false, can_send_video_notes: false, can_send_voice_notes: false,
      can_edit_tag: false, can_react_to_messages: false,
    });
  }
  if (status === 'kicked') Object.assign(member, { until_date: 0 });
  return Object.assign(member, extra || {});
}

function pushUpdate(server, token, raw) {
  server.addUserUpdate({ botToken: token, time: Date.now(), updateId: server.updateId, isRead: false, raw });
}

function updateType(update) {
  if (update.raw) return Object.keys(update.raw)[0];
  return 'callbackQuery' in update ? 'callback_query' : 'message';
}

// --- the emulator's own methods, fixed ------------------------------------------------
const originalAddBotMessage = TelegramServer.prototype.addBotMessage;
TelegramServer.prototype.addBotMessage = function addBotMessage(raw, token) {
  const stored = originalAddBotMessage.call(this, raw, token);
  const result = { message_id: stored.message_id, date: nowSeconds(), chat: chatObject(raw.chat_id), from: BOT };
  if (raw.text !== undefined) result.text = visibleText(raw.text, raw.parse_mode).text;
  if (raw.caption !== undefined) result.caption = visibleText(raw.caption, raw.parse_mode).text;
  if (raw.document) result.document = raw.document;
  if (raw.message_thread_id) result.message_thread_id = Number(raw.message_thread_id);
  if (raw.reply_markup && raw.reply_markup.inline_keyboard) result.reply_markup = raw.reply_markup;
  return result;
};

const originalAddUserUpdate = TelegramServer.prototype.addUserUpdate;
TelegramServer.prototype.addUserUpdate = async function addUserUpdate(update) {
  const message = update.message || (update.callbackQuery && update.callbackQuery.message);
  if (update.message && update.message.chat) {
    const privateChat = update.message.chat.type === 'private';
    rememberChat(update.message.chat, privateChat ? { started: true, blocked: false } : undefined);
  } else if (message && message.chat) {
    rememberChat(message.chat);
  }
  await originalAddUserUpdate.call(this, update);
  this.emit('chorus:update');
};

const originalFormatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = function formatUpdate(update) {
  if (update.raw) return { update_id: update.updateId, ...update.raw };
  const formatted = originalFormatUpdate(update);
  if (formatted.message) delete formatted.message.botToken;
  if (formatted.callback_query) {
    const query = update.callbackQuery;
    formatted.callback_query.chat_instance = String(query.chat_instance || (query.message && query.message.chat.id) || 1);
  }
  return formatted;
};

// --- routes -------------------------------------------------------------------------
function compatRoutes(app, server) {
  const params = (req) => ({ ...req.query, ...req.body });

  app.post('/reset', (_req, res) => {
    state = freshState();
    server.storage.userMessages = [];
    server.storage.botMessages = [];
    res.json({ ok: true, result: true });
  });
  app.post('/setChat', (req, res) => {
    const { chat, ...changes } = req.body;
    res.json({ ok: true, result: rememberChat(chat, changes) });
  });
  app.post('/setMember', (req, res) => {
    const { chat_id: chatId, user, status, ...extra } = req.body;
    state.members.set(`${key(chatId)}:${key(user.id)}`, memberOf(user, status, extra));
    res.json({ ok: true, result: true });
  });
  app.post('/memberUpdate', (req, res) => {
    // A change of membership; for the bot itself a my_chat_member update, else chat_member.
    const { botToken, chat, from, old_status: oldStatus, new_status: newStatus } = req.body;
    const user = req.body.user || BOT;
    const entry = rememberChat(chat);
    const isBot = Number(user.id) === BOT.id;
    if (isBot && chat.type === 'private') entry.blocked = newStatus === 'kicked';
    else if (isBot) entry.botStatus = newStatus;
    else state.members.set(`${key(chat.id)}:${key(user.id)}`, memberOf(user, newStatus));
    const change = {
      chat: entry.chat, from, date: nowSeconds(),
      old_chat_member: memberOf(user, oldStatus), new_chat_member: memberOf(user, newStatus),
    };
    pushUpdate(server, botToken, isBot ? { my_chat_member: change } : { chat_member: change });
    res.json({ ok: true, result: true });
  });
  app.post('/migrate', (req, res) => {
    // A group became a supergroup: service messages in both chats, sends to the old id refused.
    const { botToken, chat_id: oldId, new_chat: newChat, from } = req.body;
    const old = rememberChat({ id: Number(oldId), type: 'group', title: newChat.title });
    rememberChat(newChat, { botStatus: old.botStatus });
    old.migratedTo = Number(newChat.id);
    const date = nowSeconds();
    pushUpdate(server, botToken, { message: { message_id: server.messageId++, date, chat: old.chat, from, migrate_to_chat_id: Number(newChat.id) } });
    pushUpdate(server, botToken, { message: { message_id: server.messageId++, date, chat: chatObject(newChat.id), from, migrate_from_chat_id: Number(oldId) } });
    res.json({ ok: true, result: true });
  });
  app.post('/pressButton', (req, res) => {
    // A user presses a button of a message the bot sent; its data must be on that message.
    const { botToken, from, chat_id: chatId, message_id: messageId, data } = req.body;
    const sent = server.storage.botMessages.find((m) => m.messageId === Number(messageId) && key(m.message.chat_id) === key(chatId));
    if (!sent) return res.status(404).json({ ok: false, description: 'no such bot message' });
    const keyboard = (sent.message.reply_markup && sent.message.reply_markup.inline_keyboard) || [];
    if (!keyboard.flat().some((b) => b.callback_data === data)) return res.status(400).json({ ok: false, description: 'no button with that data' });
    const id = `cb${state.callbackSeq++}`;
    pushUpdate(server, botToken, {
      callback_query: {
        id, from, chat_instance: `ci${key(chatId)}`, data,
        message: { message_id: Number(messageId), date: Math.floor(sent.time / 1000), chat: chatObject(chatId), from: BOT, text: sent.message.text },
      },
    });
    return res.json({ ok: true, result: id });
  });
  app.post('/fail', (req, res) => {
    state.failures.push({ count: 1, error_code: 429, ...req.body });
    res.json({ ok: true, result: true });
  });
  app.post('/setLimits', (req, res) => {
    state.limits = req.body && Object.keys(req.body).length ? req.body : null;
    state.windows = { global: [], chat: new Map(), group: new Map() };
    res.json({ ok: true, result: state.limits });
  });
  app.post('/calls', (req, res) => {
    const wanted = req.body && req.body.method;
    res.json({ ok: true, result: state.calls.filter((c) => !wanted || c.method === wanted) });
  });
  app.post('/commands', (_req, res) => res.json({ ok: true, result: Object.fromEntries(state.commands) }));
  app.get('/downloadFile/:fileId', (req, res) => {
    const file = state.files.get(req.params.fileId);
    if (!file) return res.status(404).end();
    return res.type(file.mime).send(file.buffer);
  });

  // Every Bot API call: the token, the record of calls, injected failures, refusals, limits.
  app.all('/bot:token/:method', upload.any(), (req, res, next) => {
    const { token, method } = req.params;
    req.body = params(req);
    const p = req.body;
    if (TOKENS.length && !TOKENS.includes(token)) return apiError(res, 401, 'Unauthorized');
    if (method === 'getUpdates') return next();
    const call = { method, params: { ...p }, status: 200, t: Date.now() };
    if (req.files && req.files.length) call.files = req.files.map((f) => ({ field: f.fieldname, name: f.originalname, size: f.size }));
    state.calls.push(call);
    const fail = (code, description, parameters) => {
      call.status = code;
      call.description = description;
      return apiError(res, code, description, parameters);
    };
    const failure = state.failures.find((f) => f.count > 0 && f.method === method
      && (f.chat_id === undefined || key(f.chat_id) === key(p.chat_id)));
    if (failure) {
      failure.count -= 1;
      if (failure.error_code === 429) {
        const after = Number(failure.retry_after || 1);
        return fail(429, `Too Many Requests: retry after ${after}`, { retry_after: after });
      }
      return fail(Number(failure.error_code), failure.description || 'Internal Server Error');
    }
    if (SENDING.has(method)) {
      const refused = refusal(method, p);
      if (refused) return fail(refused.code, refused.description, refused.parameters);
      const wait = floodWait(p.chat_id);
      if (wait) return fail(429, `Too Many Requests: retry after ${wait}`, { retry_after: wait });
    }
    return next();
  });

  app.all('/bot:token/getMe', (_req, res) => res.json({ ok: true, result: BOT }));
  app.all('/bot:token/getUpdates', async (req, res) => {
    const { token } = req.params;
    const p = req.body;
    const offset = Number(p.offset || 0);
    const limit = Math.min(100, Math.max(1, Number(p.limit || 100)));
    const timeout = Math.max(0, Number(p.timeout || 0));
    if (p.allowed_updates !== undefined) {
      const wanted = parseJson(p.allowed_updates) || [];
      state.allowed.set(token, wanted.length ? wanted : null);
    }
    const allowed = state.allowed.get(token) || DEFAULT_UPDATES;
    const pending = () => {
      // Confirmed (below the offset) and unwanted updates are gone for good.
      server.storage.userMessages = server.storage.userMessages.filter((u) => u.botToken !== token
        || (u.updateId >= offset && allowed.includes(updateType(u))));
      return server.storage.userMessages.filter((u) => u.botToken === token).slice(0, limit);
    };
    let found = pending();
    if (!found.length && timeout > 0) {
      await new Promise((resolve) => {
        // The response's 'close' (client gone), not the request's: Node fires the request's
        // as soon as its body has been read, which would end every long poll at once.
        const done = () => { clearTimeout(timer); server.off('chorus:update', done); res.off('close', done); resolve(); };
        const timer = setTimeout(done, timeout * 1000);
        server.on('chorus:update', done);
        res.on('close', done);
      });
      found = pending();
    }
    res.json({ ok: true, result: found.map((u) => TelegramServer.formatUpdate(u)) });
  });
  app.all('/bot:token/deleteWebhook', (req, res) => {
    const drop = String(req.body.drop_pending_updates) === 'true';
    if (drop) server.storage.userMessages = server.storage.userMessages.filter((u) => u.botToken !== req.params.token);
    server.deleteWebhook(req.params.token);
    res.json({ ok: true, result: true });
  });
  app.all('/bot:token/sendMessage', (req, res) => {
    res.json({ ok: true, result: server.addBotMessage({ ...req.body }, req.params.token) });
  });
  app.all('/bot:token/sendDocument', (req, res) => {
    const file = (req.files || []).find((f) => f.fieldname === 'document');
    if (!file) return apiError(res, 400, 'Bad Request: there is no document in the request');
    const fileId = `doc${state.fileSeq++}`;
    state.files.set(fileId, { buffer: file.buffer, name: file.originalname, mime: file.mimetype });
    const document = { file_id: fileId, file_unique_id: `u${fileId}`, file_name: file.originalname, mime_type: file.mimetype, file_size: file.size };
    return res.json({ ok: true, result: server.addBotMessage({ ...req.body, document }, req.params.token) });
  });
  app.all('/bot:token/editMessageText', (req, res) => {
    const p = req.body;
    const sent = server.storage.botMessages.find((m) => m.messageId === Number(p.message_id) && key(m.message.chat_id) === key(p.chat_id));
    if (!sent) return apiError(res, 400, 'Bad Request: message to edit not found');
    const parsed = visibleText(p.text, p.parse_mode);
    if (parsed.error) return apiError(res, 400, `Bad Request: ${parsed.error}`);
    const markup = parseJson(p.reply_markup);
    if (sent.message.text === p.text && JSON.stringify(sent.message.reply_markup) === JSON.stringify(markup)) {
      return apiError(res, 400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    sent.message = { ...sent.message, text: p.text, parse_mode: p.parse_mode, reply_markup: markup };
    const result = { message_id: sent.messageId, date: Math.floor(sent.time / 1000), chat: chatObject(p.chat_id), from: BOT, text: parsed.text, edit_date: nowSeconds() };
    if (markup && markup.inline_keyboard) result.reply_markup = markup;
    return res.json({ ok: true, result });
  });
  app.all('/bot:token/answerCallbackQuery', (req, res) => {
    if (String(req.body.text || '').length > 200) return apiError(res, 400, 'Bad Request: MESSAGE_TOO_LONG');
    return res.json({ ok: true, result: true });
  });
  app.all('/bot:token/setMyCommands', (req, res) => {
    const commands = parseJson(req.body.commands) || [];
    for (const command of commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(command.command || '')) return apiError(res, 400, 'Bad Request: BOT_COMMAND_INVALID');
      const size = String(command.description || '').length;
      if (size < 1 || size > 256) return apiError(res, 400, 'Bad Request: command description is invalid');
    }
    state.commands.set(JSON.stringify([parseJson(req.body.scope) || { type: 'default' }, req.body.language_code || '']), commands);
    return res.json({ ok: true, result: true });
  });
  app.all('/bot:token/getMyCommands', (req, res) => {
    const found = state.commands.get(JSON.stringify([parseJson(req.body.scope) || { type: 'default' }, req.body.language_code || '']));
    res.json({ ok: true, result: found || [] });
  });
  app.all('/bot:token/deleteMyCommands', (req, res) => {
    state.commands.delete(JSON.stringify([parseJson(req.body.scope) || { type: 'default' }, req.body.language_code || '']));
    res.json({ ok: true, result: true });
  });
  app.all('/bot:token/getChat', (req, res) => {
    const entry = chatEntry(req.body.chat_id);
    if (!entry) return apiError(res, 400, 'Bad Request: chat not found');
    return res.json({
      ok: true,
      result: {
        ...entry.chat,
        accent_color_id: 0,
        max_reaction_count: 11,
        accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false, gifts_from_channels: false },
        permissions: entry.permissions || { can_send_messages: true },
      },
    });
  });
  app.all('/bot:token/getChatMember', (req, res) => {
    if (!chatEntry(req.body.chat_id)) return apiError(res, 400, 'Bad Request: chat not found');
    return res.json({ ok: true, result: memberJson(req.body.chat_id, req.body.user_id) });
  });
  app.all('/bot:token/getChatAdministrators', (req, res) => {
    const entry = chatEntry(req.body.chat_id);
    if (!entry) return apiError(res, 400, 'Bad Request: chat not found');
    if (entry.chat.type === 'private') return apiError(res, 400, 'Bad Request: there are no administrators in the private chat');
    const prefix = `${key(req.body.chat_id)}:`;
    const admins = [...state.members.entries()]
      .filter(([k, m]) => k.startsWith(prefix) && ['creator', 'administrator'].includes(m.status))
      .map(([, m]) => m);
    if (entry.botStatus === 'administrator') admins.push(memberOf(BOT, 'administrator'));
    return res.json({ ok: true, result: admins });
  });
}
routes.unshift(compatRoutes);

const server = new TelegramServer({ host: '127.0.0.1', storeTimeout: 600 });
server.config.port = 0; // the package turns 0 into 9000; let the OS pick a free port instead
server.start().then(() => {
  const { port } = server.server.address();
  server.config.apiURL = `http://127.0.0.1:${port}`;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
