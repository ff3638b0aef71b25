/**
 * Every user-facing string of charla, Spanish (the seed's language, the default) and English,
 * by key. Server notices, replies and errors, the server console, and the terminal client's own
 * words all come from here, so a translation is one file.
 *
 * Wire contract (docs in README "Wire protocol"): replies that refuse something start with
 * "Error: " in both languages; notices are wrapped in "*** ... ***" as the seed does.
 */

export type Lang = 'es' | 'en';
export const LANGS: readonly Lang[] = ['es', 'en'];

type Params = Record<string, string | number>;
type Entry = Record<Lang, string>;

const CATALOGUE = {
  // --- room notices (seed strings first) ---
  user_joined: {
    es: '*** {name} se ha unido al chat ***', // seed
    en: '*** {name} has joined the chat ***',
  },
  user_left: {
    es: '*** {name} ha salido del chat ***', // seed
    en: '*** {name} has left the chat ***',
  },
  user_left_because: {
    es: '*** {name} ha salido del chat ({reason}) ***',
    en: '*** {name} has left the chat ({reason}) ***',
  },
  user_renamed: {
    es: '*** {old} ahora se llama {name} ***',
    en: '*** {old} is now known as {name} ***',
  },
  user_moved: {
    es: '*** {name} se ha ido a la sala {room} ***',
    en: '*** {name} has gone to the room {room} ***',
  },
  user_arrived: {
    es: '*** {name} ha llegado desde la sala {room} ***',
    en: '*** {name} has come from the room {room} ***',
  },
  user_removed: {
    es: '*** {name} ha sido expulsado/a por {by} ***',
    en: '*** {name} has been removed by {by} ***',
  },
  user_removed_because: {
    es: '*** {name} ha sido expulsado/a por {by}: {because} ***',
    en: '*** {name} has been removed by {by}: {because} ***',
  },
  announcement: {
    es: '*** Aviso de {from} para todas las salas: {text} ***',
    en: '*** Announcement from {from} to every room: {text} ***',
  },
  cluster_split: {
    es: '*** Este servidor ha perdido el contacto con los demás: la sala está dividida. Solo te leen quienes están en este servidor ***',
    en: '*** This server has lost touch with the others: the room is split. Only those on this server read you now ***',
  },
  cluster_whole: {
    es: '*** Este servidor vuelve a estar en contacto con los demás: la sala vuelve a estar entera ***',
    en: '*** This server is back in touch with the others: the room is whole again ***',
  },
  server_closing: {
    es: '*** El servidor se está cerrando. ¡Hasta pronto! ***',
    en: '*** The server is shutting down. See you soon! ***',
  },

  // --- leave reasons, shown inside user_left_because ---
  reason_quit: { es: 'se despidió', en: 'said goodbye' },
  reason_disconnected: { es: 'conexión cerrada', en: 'connection closed' },
  reason_connection_lost: { es: 'conexión perdida', en: 'connection lost' },
  reason_timeout: { es: 'sin actividad', en: 'timed out' },
  reason_slow: { es: 'no leía a tiempo', en: 'too slow to read' },
  reason_flood: { es: 'enviaba demasiado rápido', en: 'flooding' },
  reason_kicked: { es: 'expulsado por los límites del servidor', en: "kicked by the server's limits" },
  reason_server_shutdown: { es: 'el servidor se cerró', en: 'server shut down' },
  reason_error: { es: 'error del servidor', en: 'server error' },
  reason_removed: { es: 'expulsado/a por un operador', en: 'removed by an operator' },
  reason_unreachable: { es: 'inalcanzable', en: 'unreachable' },
  reason_echo: { es: 'devolvía los mensajes del servidor', en: "echoed the server's messages back" },
  reason_resumed: { es: 'se reconectó desde otra conexión', en: 'reconnected from another connection' },
  reason_no_ack: { es: 'sin respuesta: {retries} reenvíos sin confirmar', en: 'no answer: {retries} retransmissions unacknowledged' },
  reason_displaced: { es: 'sin validar, dejó sitio a otro usuario', en: 'unvalidated, made room for another user' },

  // --- replies to one user ---
  welcome: {
    es: '*** Bienvenido/a a charla, {name}. Conectados: {users}. Escribe /ayuda para ver los comandos. ***',
    en: '*** Welcome to charla, {name}. Online: {users}. Type /help for the commands. ***',
  },
  user_list: { es: 'Usuarios: {users}', en: 'Users: {users}' }, // seed: "Usuarios: a, b, c"
  // A reliable UDP user (charla client --udp --fiable) in /listar: "Usuarios: ana, lee (fiable)".
  user_list_reliable: { es: '{name} (fiable)', en: '{name} (reliable)' },
  room_entered: {
    es: '*** Estás en la sala {room}. Conectados: {users}. ***',
    en: '*** You are in the room {room}. Online: {users}. ***',
  },
  room_list: { es: 'Salas: {rooms}', en: 'Rooms: {rooms}' },
  room_entry: { es: '{room} ({count})', en: '{room} ({count})' },
  room_entry_topic: { es: '{room} ({count}) «{topic}»', en: '{room} ({count}) "{topic}"' },
  room_topic: { es: '*** Tema de la sala {room}: {text} ***', en: '*** Topic of the room {room}: {text} ***' },
  room_no_topic: { es: '*** La sala {room} no tiene tema. ***', en: '*** The room {room} has no topic. ***' },
  topic_changed: { es: '*** {by} ha cambiado el tema de la sala {room}: {text} ***', en: '*** {by} changed the topic of the room {room}: {text} ***' },
  topic_cleared: { es: '*** {by} ha quitado el tema de la sala {room}. ***', en: '*** {by} cleared the topic of the room {room}. ***' },
  history_header: {
    es: '*** Últimos {count} mensajes de la sala {room} (ya pasados): ***',
    en: '*** The last {count} messages of the room {room} (past): ***',
  },
  history_line: { es: '[{time}] {from}: {text}', en: '[{time}] {from}: {text}' },
  history_action: { es: '[{time}] * {from} {text}', en: '[{time}] * {from} {text}' },
  history_empty: { es: '*** Aún no hay mensajes en la sala {room}. ***', en: '*** No messages in the room {room} yet. ***' },
  admin_granted: {
    es: '*** Ahora eres operador/a. /ayuda muestra los comandos de operador. ***',
    en: '*** You are an operator now. /help shows the operator commands. ***',
  },
  muted_you: {
    es: '*** {by} te ha silenciado durante {minutes} min: puedes leer, pero tus mensajes no llegan a nadie. ***',
    en: '*** {by} has muted you for {minutes} min: you can read, but your messages reach no one. ***',
  },
  unmuted_you: { es: '*** {by} te ha devuelto la palabra. ***', en: '*** {by} has unmuted you. ***' },
  mute_done: { es: '*** {name} queda silenciado/a durante {minutes} min. ***', en: '*** {name} is muted for {minutes} min. ***' },
  unmute_done: { es: '*** {name} ya puede hablar. ***', en: '*** {name} can speak again. ***' },
  kick_done: { es: '*** {name} ha sido expulsado/a. ***', en: '*** {name} has been removed. ***' },

  goodbye: { es: '*** ¡Adiós, {name}! ***', en: '*** Goodbye, {name}! ***' },
  private_from: { es: '(privado) {name}: {text}', en: '(private) {name}: {text}' },
  private_to: { es: '(privado para {name}) {text}', en: '(private to {name}) {text}' },
  help: {
    es: [
      'Comandos:',
      '  /listar (/list)           muestra quién está conectado',
      '  /msg NOMBRE TEXTO         mensaje privado a un usuario',
      '  /nick NUEVO               cambia tu nombre',
      '  /ayuda (/help)            esta ayuda',
      '  /quitar (/quit)           sale del chat',
      '  //texto                   envía "/texto" literal',
      '  /sala NOMBRE (/join)      te lleva a otra sala (la crea si no existe)',
      '  /salas (/rooms)           las salas y cuántos hay en cada una',
      '  /historial [N]            los últimos N mensajes de esta sala (20)',
      '  /tema (/topic)            el tema de esta sala',
      '  /admin CLAVE              te hace operador/a',
    ].join('\n'),
    en: [
      'Commands:',
      '  /list (/listar)           who is online',
      '  /msg NAME TEXT            private message to one user',
      '  /nick NEW                 change your name',
      '  /help (/ayuda)            this help',
      '  /quit (/quitar)           leave the chat',
      '  //text                    sends a literal "/text"',
      '  /room NAME (/sala)        takes you to another room (made if new)',
      '  /rooms (/salas)           the rooms and how many are in each',
      '  /history [N]              the last N messages of this room (20)',
      '  /topic (/tema)            the topic of this room',
      '  /admin KEY                makes you an operator',
    ].join('\n'),
  },

  help_operator: {
    es: [
      'Comandos de operador:',
      '  /expulsar NOMBRE [motivo] (/kick)     desconecta a un usuario',
      '  /silenciar NOMBRE [minutos] (/mute)   lo silencia (10 min); otra vez: se lo quita',
      '  /anunciar TEXTO (/announce)           un aviso a todas las salas',
      '  /tema TEXTO (/topic)                  cambia el tema de esta sala',
    ].join('\n'),
    en: [
      'Operator commands:',
      '  /kick NAME [reason] (/expulsar)       disconnects a user',
      '  /mute NAME [minutes] (/silenciar)     mutes them (10 min); again: unmutes',
      '  /announce TEXT (/anunciar)            a notice to every room',
      '  /topic TEXT (/tema)                   sets the topic of this room',
    ].join('\n'),
  },

  // --- errors: always "Error: ..." so a client can tell a refusal from a notice ---
  name_empty: { es: 'Error: el nombre no puede estar vacío. Escribe tu nombre:', en: 'Error: the name cannot be empty. Type your name:' },
  name_too_long: {
    es: 'Error: el nombre es demasiado largo (máximo {max} caracteres). Escribe otro:',
    en: 'Error: the name is too long (at most {max} characters). Type another:',
  },
  name_invalid: {
    es: 'Error: el nombre solo puede tener letras, números y . _ - (sin espacios), y empezar por letra o número. Escribe otro:',
    en: 'Error: a name may only have letters, digits and . _ - (no spaces), and must start with a letter or digit. Type another:',
  },
  name_marks: {
    es: 'Error: el nombre lleva demasiados acentos o marcas sobre una misma letra (máximo {marks}). Escribe otro:',
    en: 'Error: the name has too many accents or marks on one letter (at most {marks}). Type another:',
  },
  name_reserved: { es: 'Error: el nombre «{name}» está reservado. Escribe otro:', en: 'Error: the name "{name}" is reserved. Type another:' },
  name_unavailable_split: {
    es: 'Error: ahora no se puede reservar el nombre «{name}» (este servidor ha perdido el contacto con los demás). Inténtalo en un momento:',
    en: 'Error: the name "{name}" cannot be reserved now (this server has lost touch with the others). Try again in a moment:',
  },
  private_split: {
    es: 'Error: {name} está en otro servidor y este ha perdido el contacto con los demás; tu mensaje no ha salido.',
    en: 'Error: {name} is on another server and this one has lost touch with the others; your message was not sent.',
  },
  cluster_name_lost: {
    es: 'Error: mientras este servidor estaba aislado, otro usuario tomó tu nombre «{name}» en otro servidor. Vuelve a conectarte con otro nombre.',
    en: 'Error: while this server was cut off, another user took your name "{name}" on another server. Reconnect with another name.',
  },
  name_taken: { es: 'Error: el nombre «{name}» ya está en uso. Escribe otro:', en: 'Error: the name "{name}" is already taken. Type another:' },
  room_usage: { es: 'Error: uso: /sala NOMBRE', en: 'Error: usage: /room NAME' },
  room_same: { es: 'Error: ya estás en la sala {room}', en: 'Error: you are already in the room {room}' },
  room_invalid: {
    es: 'Error: el nombre de una sala solo puede tener letras, números, - y _ (máximo {max} caracteres).',
    en: 'Error: a room name may only have letters, digits, - and _ (at most {max} characters).',
  },
  room_lookalike: {
    es: 'Error: «{room}» se confunde con la sala {existing}; únete a ella o elige otro nombre.',
    en: 'Error: "{room}" looks like the room {existing}; join it or choose another name.',
  },
  room_too_many: {
    es: 'Error: ya hay demasiadas salas ({max}); únete a una de las que hay (/salas).',
    en: 'Error: there are too many rooms ({max}); join one of them (/rooms).',
  },
  history_usage: { es: 'Error: uso: /historial [N]', en: 'Error: usage: /history [N]' },
  admin_usage: { es: 'Error: uso: /admin CLAVE', en: 'Error: usage: /admin KEY' },
  admin_none: { es: 'Error: este servidor no tiene operadores.', en: 'Error: this server has no operators.' },
  admin_wrong: { es: 'Error: clave de operador incorrecta.', en: 'Error: wrong operator key.' },
  admin_already: { es: 'Error: ya eres operador/a.', en: 'Error: you are already an operator.' },
  operator_only: { es: 'Error: {command} es solo para operadores (/admin CLAVE).', en: 'Error: {command} is for operators only (/admin KEY).' },
  kick_usage: { es: 'Error: uso: /expulsar NOMBRE [motivo]', en: 'Error: usage: /kick NAME [reason]' },
  mute_usage: { es: 'Error: uso: /silenciar NOMBRE [minutos]', en: 'Error: usage: /mute NAME [minutes]' },
  announce_usage: { es: 'Error: uso: /anunciar TEXTO', en: 'Error: usage: /announce TEXT' },
  kicked_you: { es: 'Error: {by} te ha expulsado.', en: 'Error: {by} has removed you.' },
  kicked_you_because: { es: 'Error: {by} te ha expulsado: {because}', en: 'Error: {by} has removed you: {because}' },
  muted: {
    es: 'Error: estás silenciado/a ({minutes} min más); tu mensaje no llegó a nadie.',
    en: 'Error: you are muted ({minutes} more min); your message reached no one.',
  },
  nick_usage: { es: 'Error: uso: /nick NUEVO_NOMBRE', en: 'Error: usage: /nick NEW_NAME' },
  nick_same: { es: 'Error: ya te llamas {name}', en: 'Error: you are already called {name}' },
  msg_usage: { es: 'Error: uso: /msg NOMBRE TEXTO', en: 'Error: usage: /msg NAME TEXT' },
  msg_no_such_user: { es: 'Error: no hay ningún usuario llamado «{name}»', en: 'Error: there is no user called "{name}"' },
  msg_to_self: { es: 'Error: no puedes enviarte un mensaje privado a ti mismo/a', en: 'Error: you cannot send a private message to yourself' },
  unknown_command: {
    es: 'Error: comando desconocido: {command}. Escribe /ayuda para ver los comandos (// al principio envía una / literal).',
    en: 'Error: unknown command: {command}. Type /help for the commands (start with // to send a literal /).',
  },
  line_too_long: {
    es: 'Error: mensaje demasiado largo (máximo {max} bytes); se descartó.',
    en: 'Error: message too long (at most {max} bytes); it was discarded.',
  },
  server_full: { es: 'Error: el servidor está lleno ({max} usuarios). Prueba más tarde.', en: 'Error: the server is full ({max} users). Try again later.' },
  too_many_connections: {
    es: 'Error: demasiadas conexiones desde tu dirección ({max}).',
    en: 'Error: too many connections from your address ({max}).',
  },
  registration_timeout: {
    es: 'Error: no enviaste tu nombre a tiempo ({seconds} s). Conexión cerrada.',
    en: 'Error: you did not send your name in time ({seconds} s). Connection closed.',
  },
  idle_timeout: { es: 'Error: desconectado por inactividad ({seconds} s).', en: 'Error: disconnected for inactivity ({seconds} s).' },
  rate_slowed: {
    es: 'Error: estás enviando demasiado rápido; tus mensajes se entregarán más despacio.',
    en: 'Error: you are sending too fast; your messages will be delivered more slowly.',
  },
  rate_dropped: {
    es: 'Error: estás enviando demasiado rápido; los mensajes por encima del límite se descartan.',
    en: 'Error: you are sending too fast; messages over the limit are dropped.',
  },
  flood_kicked: { es: 'Error: desconectado por enviar demasiado rápido.', en: 'Error: disconnected for flooding.' },
  udp_not_registered: {
    es: 'Error: primero envía tu nombre en un datagrama.',
    en: 'Error: send your name in a datagram first.',
  },
  password_required: { es: 'Error: este servidor pide contraseña: envía /pass CONTRASEÑA antes de tu nombre.', en: 'Error: this server needs a password: send /pass PASSWORD before your name.' },
  name_refused_short: { es: 'Error: elige otro nombre', en: 'Error: pick another name' },
  password_required_short: { es: 'Error: falta /pass CLAVE', en: 'Error: send /pass KEY' },
  password_wrong: { es: 'Error: contraseña incorrecta. Conexión cerrada.', en: 'Error: wrong password. Connection closed.' },
  // --- IRC (src/encode/irc.ts): the text of numerics and server notices an IRC client shows ---
  irc_welcome: { es: 'Bienvenido/a a charla, {nick}', en: 'Welcome to charla, {nick}' },
  irc_your_host: { es: 'Tu servidor es {server}, charla {version}', en: 'Your host is {server}, running charla {version}' },
  irc_created: { es: 'Este servidor arrancó el {date}', en: 'This server was started {date}' },
  irc_isupport: { es: 'admitido por este servidor', en: 'are supported by this server' },
  irc_no_motd: { es: 'No hay mensaje del día', en: 'MOTD File is missing' },
  irc_no_such_channel: { es: 'No existe ese canal', en: 'No such channel' },
  irc_bad_channel: { es: 'Nombre de canal no válido: {reason}', en: 'Illegal channel name: {reason}' },
  irc_cannot_send: { es: 'No estás en ese canal', en: 'Cannot send to channel' },
  irc_not_on_channel: { es: 'No estás en ese canal', en: "You're not on that channel" },
  irc_no_recipient: { es: 'Falta el destinatario ({command})', en: 'No recipient given ({command})' },
  irc_no_text: { es: 'No hay texto que enviar', en: 'No text to send' },
  irc_no_nick: { es: 'Falta el apodo', en: 'No nickname given' },
  irc_bad_nick: {
    es: 'Apodo no válido: letras ASCII, cifras, _ y -, empezando por una letra, hasta {max}',
    en: 'Erroneous nickname: ASCII letters, digits, _ and -, starting with a letter, up to {max}',
  },
  irc_nick_taken: { es: 'El apodo ya está en uso', en: 'Nickname is already in use' },
  irc_not_registered: { es: 'No te has registrado', en: 'You have not registered' },
  irc_need_params: { es: 'Faltan parámetros', en: 'Not enough parameters' },
  irc_already_registered: { es: 'No puedes volver a registrarte', en: 'You may not reregister' },
  irc_password_wrong: { es: 'Contraseña incorrecta', en: 'Password incorrect' },
  irc_unknown_command: { es: 'Orden desconocida', en: 'Unknown command' },
  irc_input_too_long: { es: 'Línea demasiado larga', en: 'Input line was too long' },
  irc_no_topic: { es: 'No hay tema', en: 'No topic is set' },
  irc_oper_granted: { es: 'Ahora eres operador/a de charla', en: 'You are now an IRC operator' },
  irc_no_oper: { es: 'Este servidor no tiene operadores', en: 'No O-lines for your host' },
  irc_user_not_in_channel: { es: 'No está en ese canal', en: "They aren't on that channel" },
  irc_chanop_needed: { es: 'No eres operador/a del canal', en: "You're not channel operator" },
  irc_end_of_names: { es: 'Fin de la lista de nombres', en: 'End of /NAMES list' },
  irc_end_of_who: { es: 'Fin de la lista de WHO', en: 'End of /WHO list' },
  irc_end_of_whois: { es: 'Fin de la lista de WHOIS', en: 'End of /WHOIS list' },
  irc_list_start: { es: 'Usuarios  Nombre', en: 'Users  Name' },
  irc_end_of_list: { es: 'Fin de la lista', en: 'End of /LIST' },
  irc_end_of_bans: { es: 'Fin de la lista de bloqueos', en: 'End of channel ban list' },
  irc_server_info: { es: 'charla, el chat de la red local', en: 'charla, the LAN chat' },
  irc_via: { es: 'conectado/a por {transport}', en: 'connected over {transport}' },
  irc_operator: { es: 'es operador/a de charla', en: 'is a charla operator' },
  irc_away: { es: 'Ya no estás ausente', en: 'You are no longer marked as being away' },
  irc_now_away: { es: 'Ahora estás ausente', en: 'You have been marked as being away' },
  irc_ping_timeout: { es: 'Sin respuesta al PING ({seconds} s)', en: 'Ping timeout: {seconds} seconds' },
  irc_sendq: { es: 'SendQ exceeded', en: 'SendQ exceeded' },
  irc_closing_link: { es: 'Cerrando la conexión: {reason}', en: 'Closing Link: {reason}' },
  irc_quit: { es: 'Quit: {message}', en: 'Quit: {message}' },
  irc_moved_to: { es: 'se ha ido a #{room}', en: 'has gone to #{room}' },
  http_not_chat: {
    es: 'Esto es un servidor de chat charla (TCP, una línea por mensaje), no un servidor web. Conéctate con: charla client --host {host} --port {port}',
    en: 'This is a charla chat server (TCP, one line per message), not a web server. Connect with: charla client --host {host} --port {port}',
  },

  http_not_chat_web: {
    es: 'Esto es un servidor de chat charla (TCP, una línea por mensaje), no un servidor web. Para el navegador abre {url} . En la terminal: charla client --host {host} --port {port}',
    en: 'This is a charla chat server (TCP, one line per message), not a web server. For a browser open {url} . In a terminal: charla client --host {host} --port {port}',
  },
  http_no_page: {
    es: 'charla está en marcha, pero la página del navegador no está construida (falta dist/web/). Ejecuta "npm run build". El WebSocket sigue en {path}.',
    en: 'charla is running, but the browser page is not built (dist/web/ is missing). Run "npm run build". The WebSocket is still at {path}.',
  },
  http_not_found: { es: 'No encontrado', en: 'Not found' },
  http_forbidden: {
    es: 'Prohibido: esta dirección no puede leer las métricas (charla server --metrics-allow)',
    en: 'Forbidden: this address may not read the metrics (charla server --metrics-allow)',
  },
  http_method_not_allowed: { es: 'Método no permitido (solo GET y HEAD)', en: 'Method not allowed (GET and HEAD only)' },
  ws_version: {
    es: 'Error: este servidor habla la versión {v} del protocolo WebSocket de charla, no la {asked}',
    en: "Error: this server speaks version {v} of charla's WebSocket protocol, not {asked}",
  },
  ws_bad_frame: {
    es: 'Error: trama no válida (se espera un objeto JSON con "type": "join" o "line")',
    en: 'Error: invalid frame (expected a JSON object with "type": "join" or "line")',
  },
  ws_join_first: { es: 'Error: primero envía un join con tu nombre', en: 'Error: send a join with your name first' },
  ws_already_joined: { es: 'Error: ya tienes nombre; usa /nick para cambiarlo', en: 'Error: you already have a name; use /nick to change it' },
  ws_resume_invalid: {
    es: 'Error: la sesión que quieres retomar ha caducado o no es de ese nombre',
    en: 'Error: the session you tried to resume has expired or is not for that name',
  },

  // --- server console ---
  log_tcp_listening: { es: 'charla: TCP escuchando en {address}', en: 'charla: TCP listening on {address}' },
  log_udp_listening: { es: 'charla: UDP escuchando en {address}', en: 'charla: UDP listening on {address}' },
  log_irc_listening: { es: 'charla: IRC escuchando en {address}', en: 'charla: IRC listening on {address}' },
  log_ircs_listening: { es: 'charla: IRC con TLS escuchando en {address}', en: 'charla: IRC over TLS listening on {address}' },
  log_http_listening: { es: 'charla: HTTP escuchando en {address}', en: 'charla: HTTP listening on {address}' },
  log_https_listening: { es: 'charla: HTTPS escuchando en {address}', en: 'charla: HTTPS listening on {address}' },
  log_browser_hint: { es: '  Navegador: {url}', en: '  Browser: {url}' },
  log_browser_qr: { es: 'Escanea para abrir {url} en el móvil:', en: 'Scan to open {url} on a phone:' },
  log_irc_hint: { es: '  IRC (HexChat, irssi, WeeChat): /connect {host} {port}', en: '  IRC (HexChat, irssi, WeeChat): /connect {host} {port}' },
  log_lan_hint: { es: 'Desde otra máquina de la red local:', en: 'From another machine on the LAN:' },
  log_local_hint: { es: 'Desde esta máquina:', en: 'From this machine:' },
  log_bench_mode: {
    es: 'charla: modo --bench: sin límites de ritmo, de usuarios ni por dirección. Úsalo solo en una máquina de confianza.',
    en: 'charla: --bench mode: no rate, user or per-address limits. Use it only on a trusted machine.',
  },
  log_connected: { es: 'Cliente conectado desde {peer}', en: 'Client connected from {peer}' }, // seed
  log_joined: { es: '{name} conectado ({peer}).', en: '{name} connected ({peer}).' },
  log_left: { es: '{name} desconectado ({reason}).', en: '{name} disconnected ({reason}).' }, // seed: "{name} desconectado."
  log_dropped: { es: 'Conexión de {peer} cerrada antes de dar nombre ({reason}).', en: 'Connection from {peer} closed before naming ({reason}).' },
  log_cluster_split: { es: 'charla: sin contacto con Redis ({error}): la sala está dividida; los usuarios de este servidor siguen hablando entre sí', en: 'charla: lost Redis ({error}): the room is split; the users of this server keep chatting among themselves' },
  log_cluster_whole: { es: 'charla: Redis ha vuelto: nombres y presencia reconstruidos, la sala vuelve a estar entera', en: 'charla: Redis is back: names and presence rebuilt, the room is whole again' },
  log_cluster_joined: { es: 'charla: en el clúster de {url} como el nodo {node} ({users} usuarios en otros nodos)', en: 'charla: in the cluster at {url} as node {node} ({users} users on other nodes)' },
  log_cluster_reaped: { es: 'charla: el nodo {node} dejó de latir: sus {users} usuarios salen (conexión perdida)', en: 'charla: node {node} stopped beating: its {users} users leave (connection lost)' },
  log_shutdown: { es: 'charla: cerrando ({users} usuarios avisados)…', en: 'charla: shutting down ({users} users told)…' },
  log_udp_send_failed: {
    es: 'charla: no se puede enviar a {peer}: {error}',
    en: 'charla: cannot send to {peer}: {error}',
  },
  log_udp_withheld: {
    es: 'charla: {peer} no ha validado su dirección: se retienen las respuestas de más de 3 veces lo recibido de ella (antiamplificación)',
    en: 'charla: {peer} has not validated its address: replies over 3 times what it sent are withheld (anti-amplification)',
  },
  log_udp_reliable: {
    es: 'charla: {peer} habla UDP fiable (Selective Repeat, ventana {window}, hasta {retries} reenvíos)',
    en: 'charla: {peer} speaks reliable UDP (Selective Repeat, window {window}, up to {retries} retransmissions)',
  },
  log_udp_gave_up: {
    es: 'charla: {peer} no confirma: {retries} reenvíos del mismo paquete sin ACK; se le da de baja',
    en: 'charla: {peer} does not acknowledge: one packet sent {retries} times again without an ACK; removed',
  },
  log_udp_arq_stats: {
    es: 'charla: {peer} (fiable): {sent} paquetes enviados, {retransmissions} reenvíos, {delivered} recibidos, {duplicates} duplicados descartados',
    en: 'charla: {peer} (reliable): {sent} packets sent, {retransmissions} retransmissions, {delivered} received, {duplicates} duplicates discarded',
  },
  log_udp_echo: {
    es: 'charla: {peer} devolvía los mensajes del servidor (¿otro servidor o un bucle?); se ignora durante {minutes} min',
    en: "charla: {peer} echoed the server's messages back (another server, or a loop?); ignored for {minutes} min",
  },
  log_topic: { es: '{name} cambió el tema de {room} ({text}).', en: '{name} set the topic of {room} ({text}).' },
  log_admin_granted: { es: 'charla: {name} es operador/a ({peer}).', en: 'charla: {name} is an operator ({peer}).' },
  log_admin_wrong: {
    es: 'charla: clave de operador incorrecta de {name} ({peer}).',
    en: 'charla: wrong operator key from {name} ({peer}).',
  },
  log_removed: { es: '{name} expulsado/a por {by} ({because}).', en: '{name} removed by {by} ({because}).' },
  log_muted: { es: '{name} silenciado/a por {by} ({minutes} min).', en: '{name} muted by {by} ({minutes} min).' },
  log_history_skipped: {
    es: 'charla: historial de la sala {room} ({file}): se saltaron {count} líneas dañadas (p. ej. cortadas por una caída).',
    en: 'charla: history of the room {room} ({file}): skipped {count} damaged lines (e.g. cut by a crash).',
  },
  log_history_load_failed: {
    es: 'charla: no se puede leer el historial de la sala {room} ({file}: {error}); esa sala no se guardará en esta ejecución.',
    en: 'charla: cannot read the history of the room {room} ({file}: {error}); that room is not kept this run.',
  },
  log_history_write_failed: {
    es: 'charla: no se puede escribir el historial de la sala {room} ({file}: {error}); se reintenta.',
    en: 'charla: cannot write the history of the room {room} ({file}: {error}); retrying.',
  },
  log_history_behind: {
    es: 'charla: el disco no da abasto con el historial de la sala {room} ({file}); se reescribirá desde la memoria.',
    en: 'charla: the disk cannot keep up with the history of the room {room} ({file}); it will be rewritten from memory.',
  },
  log_history_recovered: { es: 'charla: el historial de la sala {room} ({file}) se escribe de nuevo.', en: 'charla: the history of the room {room} ({file}) is written again.' },
  log_peer_error: { es: 'charla: error con {peer}: {error}', en: 'charla: error with {peer}: {error}' },
  log_lines_dropped: {
    es: 'charla: {count} líneas del registro descartadas (la salida no daba abasto)',
    en: 'charla: {count} log lines dropped (the output could not keep up)',
  },
  log_output_lost: {
    es: 'charla: no se puede escribir en {output} ({error}): el registro deja de ir allí; el servidor sigue',
    en: 'charla: cannot write to {output} ({error}): no more log there; the server goes on',
  },
  log_reopened: { es: 'charla: registro reabierto (SIGHUP)', en: 'charla: log file reopened (SIGHUP)' },
  log_reopen_failed: {
    es: 'charla: no se puede reabrir {path} ({error}); se sigue escribiendo en el fichero anterior',
    en: 'charla: cannot reopen {path} ({error}); still writing to the previous file',
  },
  log_sighup_no_file: {
    es: 'charla: SIGHUP recibido; sin --log-file no hay nada que reabrir, el servidor sigue',
    en: 'charla: SIGHUP received; without --log-file there is nothing to reopen, the server goes on',
  },
  log_sigusr1_ignored: {
    es: 'charla: SIGUSR1 ignorado (el inspector de Node solo se abre con node --inspect)',
    en: 'charla: SIGUSR1 ignored (Node\'s inspector opens only with node --inspect)',
  },

  // --- terminal client ---
  client_name_prompt: { es: 'Tu nombre: ', en: 'Your name: ' }, // seed
  client_connecting: { es: 'Conectando a {target}…', en: 'Connecting to {target}…' },
  client_connected: { es: 'Conectado a {target}. Comandos: /listar /msg /nick /ayuda /quitar', en: 'Connected to {target}. Commands: /list /msg /nick /help /quit' },
  client_server_closed: { es: 'El servidor cerró la conexión.', en: 'The server closed the connection.' },
  client_server_gone: { es: 'No hay respuesta del servidor en {target}.', en: 'No answer from the server at {target}.' },
  client_connect_failed: {
    es: 'No se pudo conectar a {target}: {error}. ¿Está el servidor en marcha? (charla server)',
    en: 'Could not connect to {target}: {error}. Is the server running? (charla server)',
  },
  client_you: { es: 'tú', en: 'you' },
  client_no_name: {
    es: 'Falta el nombre: usa --name NOMBRE o escribe el nombre en la primera línea de la entrada.',
    en: 'No name: use --name NAME or put the name on the first line of the input.',
  },
  client_no_answer: {
    es: 'El servidor en {target} no respondió a tu nombre en {seconds} s. Si es el servidor del seed (Python), usa --bare.',
    en: 'The server at {target} did not answer your name within {seconds} s. If it is the seed (Python) server, use --bare.',
  },
  client_dropped_while_paused: {
    es: 'Se descartaron {count} mensajes que llegaron mientras la salida estaba llena (UDP no puede frenar al servidor).',
    en: '{count} messages that arrived while the output was full were dropped (UDP cannot slow the server down).',
  },
  client_arq_gave_up: {
    es: 'El servidor en {target} no confirma lo enviado: {retries} reenvíos sin respuesta.',
    en: 'The server at {target} does not acknowledge: {retries} retransmissions unanswered.',
  },
  client_arq_stats: {
    es: 'UDP fiable: {sent} enviados, {retransmissions} reenvíos, {delivered} recibidos, {duplicates} duplicados descartados.',
    en: 'Reliable UDP: {sent} sent, {retransmissions} retransmissions, {delivered} received, {duplicates} duplicates discarded.',
  },
  client_closed_unanswered: {
    es: 'El servidor cerró la conexión sin responder a tu nombre. Si usa TLS, añade --tls.',
    en: 'The server closed the connection without answering your name. If it uses TLS, add --tls.',
  },
  client_tls_failed: {
    es: 'No se pudo establecer TLS con {target}: {error}. Si el certificado es autofirmado, pásalo con --ca FICHERO (o --insecure para no verificarlo).',
    en: 'Could not set up TLS with {target}: {error}. If the certificate is self-signed, pass it with --ca FILE (or --insecure to skip the check).',
  },
  client_tls_insecure: {
    es: 'Aviso: --insecure: no se verifica el certificado del servidor; cualquiera en la red podría hacerse pasar por él.',
    en: "Warning: --insecure: the server's certificate is not checked; anyone on the network could pretend to be it.",
  },
  client_error_refused: { es: 'nadie escucha en ese puerto', en: 'nothing is listening on that port' },
  client_error_host: { es: 'no se encuentra ese host', en: 'host not found' },
  client_error_timeout: { es: 'no responde', en: 'no response' },
  client_error_unreachable: { es: 'red o host inalcanzable', en: 'network or host unreachable' },
  client_not_tls: {
    es: 'No se pudo establecer TLS con {target}: ese puerto no habla TLS. Si el servidor no usa --tls-cert, conéctate sin --tls.',
    en: 'Could not set up TLS with {target}: that port does not speak TLS. If the server has no --tls-cert, connect without --tls.',
  },

  // --- charla check ---
  // The grader's words (src/check/): each scenario's title and explanation (the networking
  // concept and the fix), what it found, and the report's labels. {got}/{text} are escaped.
  check_title_join_notice: { es: 'aviso de entrada', en: 'join notice' },
  check_title_broadcast: { es: 'difusión a todos', en: 'broadcast to everyone' },
  check_title_no_echo: { es: 'sin eco al remitente', en: 'no echo to the sender' },
  check_title_listar: { es: '/listar', en: '/listar' },
  check_title_quitar: { es: '/quitar', en: '/quitar' },
  check_title_close_announced: { es: 'salida con FIN anunciada', en: 'leaving with a FIN announced' },
  check_title_reset_announced: { es: 'salida con RST anunciada', en: 'leaving with a RST announced' },
  check_title_utf8: { es: 'acentos y emoji', en: 'accents and emoji' },
  check_title_udp_broadcast: { es: 'UDP: difusión', en: 'UDP: broadcast' },
  check_title_udp_quitar: { es: 'UDP: /quitar', en: 'UDP: /quitar' },
  check_title_lf_lines: { es: 'líneas con \\n (netcat)', en: 'lines ending in \\n (netcat)' },
  check_title_crlf_lines: { es: 'líneas con \\r\\n (telnet)', en: 'lines ending in \\r\\n (telnet)' },
  check_title_batched_lines: { es: 'dos líneas en un segmento', en: 'two lines in one segment' },
  check_title_split_line: { es: 'una línea en dos segmentos', en: 'one line in two segments' },
  check_title_split_utf8: { es: 'carácter UTF-8 partido', en: 'UTF-8 character split' },
  check_title_listar_after_leave: { es: '/listar tras una salida', en: '/listar after a departure' },
  check_title_duplicate_name: { es: 'nombre repetido', en: 'duplicate name' },
  check_title_empty_name: { es: 'nombre vacío', en: 'empty name' },
  check_title_concurrent_order: { es: '20 clientes a la vez', en: '20 clients at once' },
  check_title_slow_reader: { es: 'un cliente que no lee', en: 'a client that stops reading' },
  check_title_huge_line: { es: 'línea de 1 MiB', en: '1 MiB line' },
  check_title_udp_listar: { es: 'UDP: /listar', en: 'UDP: /listar' },

  check_explain_join_notice: {
    es: 'Cuando alguien entra, los que ya están deben enterarse: en cuanto recibas el nombre (el primer mensaje del cliente), envía "*** nombre se ha unido al chat ***" a todos los demás.',
    en: 'When someone joins, those already there must hear of it: as soon as you receive the name (the client\'s first message), send "*** name has joined the chat ***" to everyone else.',
  },
  check_explain_broadcast: {
    es: 'Un chat es difusión: cada mensaje recibido se reenvía a todos los demás clientes conectados. Recorre la lista de conexiones y envía a cada una, salvo al remitente.',
    en: 'A chat is a broadcast: every message received is relayed to every other connected client. Loop over the list of connections and send to each one but the sender.',
  },
  check_explain_no_echo: {
    es: 'El remitente ya ve lo que escribió: al difundir, sáltate la conexión de la que vino el mensaje (compara cada socket con el del remitente).',
    en: 'The sender already sees what it typed: when broadcasting, skip the connection the message came from (compare each socket with the sender\'s).',
  },
  check_explain_listar: {
    es: '/listar es petición-respuesta: la respuesta, con los nombres conectados, va solo a quien la pidió y no se difunde como mensaje de chat.',
    en: '/listar is request-response: the answer, with the names online, goes only to whoever asked, and is not broadcast as a chat message.',
  },
  check_explain_quitar: {
    es: '/quitar cierra la sesión de forma ordenada: anuncia la salida a los demás, quita al cliente de tus listas y cierra su socket con close(), que envía un FIN.',
    en: '/quitar ends the session in order: announce the departure to the others, remove the client from your lists and close its socket with close(), which sends a FIN.',
  },
  check_explain_close_announced: {
    es: 'Un cliente puede irse sin /quitar (cierra la ventana, corta netcat): llega un FIN y recv() devuelve 0 bytes (b""). Trátalo como una salida: quítalo de tus listas y anúncialo a los demás.',
    en: 'A client may leave without /quitar (closes the window, stops netcat): a FIN arrives and recv() returns 0 bytes (b""). Treat it as a departure: remove the client from your lists and tell the others.',
  },
  check_explain_reset_announced: {
    es: 'Si el programa cliente muere, su sistema envía un RST y recv() lanza ConnectionResetError (ECONNRESET). Captura la excepción y haz lo mismo que con un FIN: quitarlo y anunciar su salida.',
    en: 'When a client program dies its system sends a RST, and recv() raises ConnectionResetError (ECONNRESET). Catch it and do what you do for a FIN: remove the client and announce its departure.',
  },
  check_explain_utf8: {
    es: 'Un socket transporta bytes, no texto: codifica al enviar y decodifica al recibir con la misma codificación (UTF-8) en los dos extremos, para que acentos y emoji lleguen intactos.',
    en: 'A socket carries bytes, not text: encode when sending and decode when receiving with the same encoding (UTF-8) at both ends, so accents and emoji arrive intact.',
  },
  check_explain_udp_broadcast: {
    es: 'UDP no tiene conexiones: el servidor recuerda la dirección (IP, puerto) de cada cliente desde su primer datagrama y reenvía cada mensaje con sendto() a todas las demás direcciones.',
    en: 'UDP has no connections: the server remembers each client\'s address (IP, port) from its first datagram and relays each message with sendto() to every other address.',
  },
  check_explain_udp_quitar: {
    es: 'En UDP nadie "se desconecta": el servidor solo sabe que alguien se fue si se lo dicen. Al recibir /quitar, borra esa dirección de tu tabla y deja de enviarle datagramas.',
    en: 'Over UDP nobody "disconnects": the server only knows someone left when told. On /quitar, delete that address from your table and stop sending it datagrams.',
  },
  check_explain_lf_lines: {
    es: 'netcat termina cada mensaje con "\\n". TCP no marca dónde acaba un mensaje, así que el delimitador es parte de tu protocolo: separa por "\\n" y quítalo antes de usar el texto como nombre, comando (/listar) o mensaje.',
    en: 'netcat ends each message with "\\n". TCP does not mark where a message ends, so the delimiter is part of your protocol: split on "\\n" and remove it before using the text as a name, a command (/listar) or a message.',
  },
  check_explain_crlf_lines: {
    es: 'telnet y Windows terminan las líneas con "\\r\\n". Si solo quitas el "\\n", el "\\r" se queda en el nombre o en el mensaje (y mueve el cursor en la pantalla de los demás). Quita también un "\\r" justo antes del "\\n".',
    en: 'telnet and Windows end lines with "\\r\\n". If you remove only the "\\n", the "\\r" stays in the name or the message (and moves the cursor on the others\' screens). Remove a "\\r" just before the "\\n" too.',
  },
  check_explain_batched_lines: {
    es: 'TCP es un flujo de bytes: dos send() seguidos pueden llegar en un solo recv(). Delimita los mensajes (por ejemplo con "\\n") y acumula lo recibido hasta encontrar el delimitador; luego procesa cada mensaje por separado.',
    en: 'TCP is a byte stream: two send() calls in a row can arrive in one recv(). Delimit your messages (for example with "\\n") and accumulate what you receive until you find the delimiter; then handle each message on its own.',
  },
  check_explain_split_line: {
    es: 'TCP también puede partir un mensaje en varios recv(). No trates cada recv() como un mensaje: guarda los bytes en un búfer y procesa solo cuando llegue el delimitador.',
    en: 'TCP can also cut one message across several recv() calls. Do not treat each recv() as a message: keep the bytes in a buffer and handle a message only when its delimiter arrives.',
  },
  check_explain_split_utf8: {
    es: 'En UTF-8 "é" ocupa 2 bytes y un emoji 4, y TCP puede cortar entre ellos. Decodificar cada recv() por separado falla (UnicodeDecodeError) o rompe el carácter: acumula bytes y decodifica el mensaje completo, o usa un decodificador incremental (codecs.getincrementaldecoder("utf-8")).',
    en: 'In UTF-8 "é" takes 2 bytes and an emoji 4, and TCP may cut between them. Decoding each recv() on its own fails (UnicodeDecodeError) or breaks the character: accumulate bytes and decode the whole message, or use an incremental decoder (codecs.getincrementaldecoder("utf-8")).',
  },
  check_explain_listar_after_leave: {
    es: 'Cada salida (/quitar, FIN o RST) debe borrar al usuario de todas tus estructuras: la lista de sockets y también el diccionario de nombres. Si no, /listar muestra fantasmas.',
    en: 'Every departure (/quitar, a FIN or a RST) must remove the user from all your structures: the list of sockets and the dictionary of names too. Otherwise /listar shows ghosts.',
  },
  check_explain_duplicate_name: {
    es: 'Dos usuarios con el mismo nombre no se pueden distinguir (¿de quién es cada mensaje?). Antes de aceptar un nombre, comprueba que nadie lo use; si está ocupado, responde con un error y pide otro.',
    en: 'Two users with the same name cannot be told apart (whose message is whose?). Before accepting a name, check that nobody uses it; if it is taken, answer with an error and ask for another.',
  },
  check_explain_empty_name: {
    es: 'Un nombre vacío no identifica a nadie. Quita los espacios y el fin de línea, y si no queda nada, rechaza el nombre con un error en vez de anunciar a alguien sin nombre.',
    en: 'An empty name identifies nobody. Strip spaces and the end of line, and if nothing is left, refuse the name with an error instead of announcing a user without one.',
  },
  check_explain_concurrent_order: {
    es: 'Con muchos clientes a la vez, varios hilos difunden al mismo tiempo sobre las mismas listas. Protege lo compartido (threading.Lock), envía cada mensaje entero con sendall() y no lo devuelvas al remitente: así nada se pierde y cada emisor conserva su orden.',
    en: 'With many clients at once, several threads broadcast at the same time over the same lists. Protect what is shared (threading.Lock), send each message whole with sendall() and never back to its sender: then nothing is lost and each sender\'s order is kept.',
  },
  check_explain_slow_reader: {
    es: 'send() y sendall() se bloquean cuando el búfer de envío del socket está lleno, y se llena cuando ese cliente no lee. Si difundes desde el hilo del remitente, un cliente lento frena a todos: dale a cada cliente una cola de salida con un límite (o usa sockets no bloqueantes) y desconecta a quien no lea a tiempo.',
    en: 'send() and sendall() block when the socket\'s send buffer is full, and it fills when that client does not read. If you broadcast from the sender\'s thread, one slow client stalls everyone: give each client an output queue with a limit (or use non-blocking sockets) and disconnect whoever does not read in time.',
  },
  check_explain_huge_line: {
    es: 'Un cliente puede enviar muchísimos datos sin delimitador. Limita el tamaño de un mensaje (por ejemplo 4 KiB): descarta lo que se pase y avisa al remitente, sin guardarlo todo en memoria ni dejar de atender a los demás.',
    en: 'A client can send a huge amount of data with no delimiter. Limit the size of a message (4 KiB, say): discard what goes past it and tell the sender, without keeping it all in memory or neglecting the others.',
  },
  check_explain_udp_listar: {
    es: 'En UDP /listar también es petición-respuesta: contesta con sendto() a la dirección que lo pidió con los nombres registrados, en vez de difundirlo como un mensaje.',
    en: 'Over UDP /listar is request-response too: answer with sendto() to the address that asked, with the registered names, instead of broadcasting it as a message.',
  },

  check_title_client_batched: { es: 'cliente: dos mensajes en un segmento', en: 'client: two messages in one segment' },
  check_title_client_split_utf8: { es: 'cliente: carácter UTF-8 partido', en: 'client: UTF-8 character split' },
  check_title_client_typing: { es: 'cliente: mensaje mientras se escribe', en: 'client: a message while typing' },
  check_title_client_typed_intact: { es: 'cliente: lo escrito llega intacto', en: 'client: what is typed arrives intact' },
  check_title_client_server_gone: { es: 'cliente: el servidor se va', en: 'client: the server goes away' },

  check_explain_client_batched: {
    es: 'TCP es un flujo de bytes: un solo recv() puede traer dos mensajes del servidor (el del seed los envía sin separador, otros los separan con "\\n"). Muestra todo lo recibido, sin perder nada; si el servidor delimita con "\\n", acumula y muestra cada línea por separado.',
    en: 'TCP is a byte stream: one recv() can bring two of the server\'s messages (the seed\'s server sends them with no separator, others separate them with "\\n"). Show everything received, losing nothing; if the server delimits with "\\n", accumulate and show each line on its own.',
  },
  check_explain_client_split_utf8: {
    es: 'En UTF-8 "é" ocupa 2 bytes y TCP puede cortar entre ellos: recv(1024).decode("utf-8") lanza UnicodeDecodeError con medio carácter, y un except que sale del bucle deja al cliente sin leer (o cerrado). Decodifica con un decodificador incremental (codecs.getincrementaldecoder("utf-8")()), que guarda el medio carácter hasta el siguiente recv().',
    en: 'In UTF-8 "é" takes 2 bytes and TCP may cut between them: recv(1024).decode("utf-8") raises UnicodeDecodeError on half a character, and an except that leaves the loop leaves the client not reading (or closed). Decode with an incremental decoder (codecs.getincrementaldecoder("utf-8")()), which keeps the half character until the next recv().',
  },
  check_explain_client_typing: {
    es: 'La pantalla es compartida: el hilo que recibe escribe en la misma línea donde el usuario está escribiendo. print("\\r" + datos) borra de la vista lo que lleva escrito (aunque siga en el búfer de input()). Tras mostrar el mensaje, vuelve a dibujar el prompt con lo escrito hasta ahora (por ejemplo con readline: readline.get_line_buffer()), o usa una interfaz que separe la entrada de la salida.',
    en: 'The screen is shared: the receiving thread writes on the very line where the user is typing. print("\\r" + data) wipes what they have typed so far from view (though it is still in input()\'s buffer). After showing the message, draw the prompt again with what was typed so far (with readline, say: readline.get_line_buffer()), or use an interface that keeps input and output apart.',
  },
  check_explain_client_typed_intact: {
    es: 'Lo que el usuario escribe debe llegar al servidor tal cual, aunque llegue un mensaje a mitad: codifica en UTF-8 una vez, envía la línea entera con sendall() y no mezcles en ella nada de lo recibido.',
    en: 'What the user types must reach the server as it is, even when a message arrives halfway: encode to UTF-8 once, send the whole line with sendall(), and mix nothing received into it.',
  },
  check_explain_client_server_gone: {
    es: 'Cuando el servidor cierra, recv() devuelve 0 bytes (b""). El hilo que recibe debe darse cuenta, avisar y terminar el programa entero (os._exit o avisar al hilo principal), no quedarse esperando en input().',
    en: 'When the server closes, recv() returns 0 bytes (b""). The receiving thread must notice, say so and end the whole program (os._exit, or tell the main thread), not leave it waiting in input().',
  },

  check_found_client_no_connect: { es: 'El cliente no se conectó al servidor en {seconds} s; su pantalla: {got}.', en: 'The client did not connect to the server within {seconds} s; its screen: {got}.' },
  check_found_client_exited_early: { es: 'El cliente terminó (código {code}) sin conectarse; su pantalla: {got}.', en: 'The client exited (code {code}) without connecting; its screen: {got}.' },
  check_found_client_no_name: {
    es: 'Tras escribir el nombre y Enter, el cliente no envió nada en {seconds} s; su pantalla: {got}.',
    en: 'After the name and Enter were typed, the client sent nothing within {seconds} s; its screen: {got}.',
  },
  check_found_client_error: { es: 'No se pudo probar el cliente: {error}.', en: 'The client could not be checked: {error}.' },
  check_found_client_died: { es: 'El cliente terminó (código {code}) al recibir {text}.', en: 'The client exited (code {code}) on receiving {text}.' },
  check_found_client_missing: { es: 'El cliente no mostró {text}; su pantalla: {got}.', en: 'The client did not show {text}; its screen: {got}.' },
  check_found_client_glued: { es: 'El cliente mostró {text} en una sola línea: {got}.', en: 'The client showed {text} on a single line: {got}.' },
  check_found_client_mangled: { es: 'El cliente mostró {got} en lugar de {expected}.', en: 'The client showed {got} instead of {expected}.' },
  check_found_client_typing_lost: {
    es: 'Se estaba escribiendo {typed} cuando llegó un mensaje, y después la línea del cursor mostraba {got}: lo escrito desapareció de la vista.',
    en: '{typed} was being typed when a message arrived, and afterwards the cursor\'s line showed {got}: what was typed vanished from view.',
  },
  check_found_client_sent: { es: 'Se escribió {expected} y el servidor recibió {got}.', en: '{expected} was typed and the server received {got}.' },
  check_found_client_stays: { es: 'El servidor cerró la conexión y el cliente seguía abierto {seconds} s después.', en: 'The server closed the connection and the client was still running {seconds} s later.' },
  check_found_connect: { es: 'No se pudo conectar a {target}: {error}.', en: 'Could not connect to {target}: {error}.' },
  check_found_deadline: { es: 'La prueba no terminó en su plazo de {seconds} s.', en: 'The scenario did not finish within its {seconds} s deadline.' },
  check_found_no_join: {
    es: '{who} no recibió ningún aviso con el nombre {name} en {seconds} s.',
    en: '{who} received no notice with the name {name} within {seconds} s.',
  },
  check_found_no_message: { es: '{who} no recibió el mensaje {text} en {seconds} s.', en: '{who} did not receive the message {text} within {seconds} s.' },
  check_found_echo: { es: '{who} recibió de vuelta su propio mensaje {text}.', en: '{who} got its own message {text} back.' },
  check_found_no_list: {
    es: '{who} pidió {command} y no recibió una lista con {names} en {seconds} s.',
    en: '{who} sent {command} and received no list with {names} within {seconds} s.',
  },
  check_found_command_relayed: { es: 'El comando {command} llegó a {who} como si fuera un mensaje de chat.', en: 'The command {command} reached {who} as if it were a chat message.' },
  check_found_no_leave: {
    es: '{who} no recibió ningún aviso de la salida de {name} en {seconds} s.',
    en: '{who} received no notice of {name} leaving within {seconds} s.',
  },
  check_found_not_closed: {
    es: 'El servidor no cerró la conexión de {name} en {seconds} s tras /quitar.',
    en: 'The server did not close {name}\'s connection within {seconds} s of /quitar.',
  },
  check_found_mangled: { es: '{who} recibió {got} en lugar de {expected}.', en: '{who} received {got} instead of {expected}.' },
  check_found_glued: { es: 'Tu servidor trató {text} como un único mensaje.', en: 'Your server treated {text} as a single message.' },
  check_found_stray_cr: {
    es: 'El "\\r" del final de línea quedó dentro del nombre o del mensaje: {got}.',
    en: 'The line\'s "\\r" stayed inside the name or the message: {got}.',
  },
  check_found_stray_lf: {
    es: 'El "\\n" del final de línea quedó dentro del nombre o del mensaje: {got}.',
    en: 'The line\'s "\\n" stayed inside the name or the message: {got}.',
  },
  check_found_ghost: { es: '/listar todavía muestra a {name}, que ya se fue: {got}.', en: '/listar still shows {name}, who has left: {got}.' },
  check_found_duplicate: { es: 'Se aceptó un segundo usuario llamado {name}: {got}.', en: 'A second user named {name} was accepted: {got}.' },
  check_found_empty_joined: { es: 'Tras un nombre vacío, {who} recibió {got}: se anunció a alguien sin nombre.', en: 'After an empty name, {who} received {got}: someone without a name was announced.' },
  check_found_concurrency: {
    es: 'De {total} entregas esperadas faltaron {missing}, {disorder} llegaron fuera de orden y {echoed} volvieron a su remitente.',
    en: 'Of {total} expected deliveries {missing} were missing, {disorder} came out of order and {echoed} went back to their sender.',
  },
  check_found_concurrency_closed: {
    es: 'De {total} entregas esperadas faltaron {missing}, {disorder} llegaron fuera de orden y {echoed} volvieron a su remitente; el servidor cerró en plena ráfaga la conexión de {closed} cliente(s): {names}.',
    en: 'Of {total} expected deliveries {missing} were missing, {disorder} came out of order and {echoed} went back to their sender; the server closed the connection of {closed} client(s) in the middle of the burst: {names}.',
  },
  check_found_stalled: {
    es: 'Con {name} sin leer, {who} dejó de recibir mensajes tras {kib} KiB enviados a la sala.',
    en: 'With {name} not reading, {who} stopped receiving messages after {kib} KiB were sent to the room.',
  },
  check_found_dead: {
    es: 'Tras una línea de {kib} KiB sin "\\n", {who} ya no recibió el mensaje {text} en {seconds} s.',
    en: 'After a {kib} KiB line without "\\n", {who} no longer received the message {text} within {seconds} s.',
  },
  check_found_udp_still: { es: '{name} envió /quitar y siguió recibiendo mensajes: {got}.', en: '{name} sent /quitar and kept receiving messages: {got}.' },

  check_skip_no_tcp: { es: 'sin servidor TCP (--tcp)', en: 'no TCP server (--tcp)' },
  check_skip_no_udp: { es: 'sin servidor UDP (--udp)', en: 'no UDP server (--udp)' },
  check_skip_run_deadline: { es: 'se agotó el plazo total ({seconds} s)', en: 'the run\'s deadline ({seconds} s) ran out' },
  check_skip_no_python: { es: 'se necesita python3 (con su módulo pty) para manejar el cliente desde un terminal', en: 'python3 (with its pty module) is needed to drive the client from a terminal' },
  check_skip_not_selected: { es: 'no seleccionado (--only)', en: 'not selected (--only)' },

  check_framing_lf: { es: 'el servidor termina sus líneas con "\\n"', en: 'the server ends its lines with "\\n"' },
  check_framing_crlf: { es: 'el servidor termina sus líneas con "\\r\\n"', en: 'the server ends its lines with "\\r\\n"' },
  check_framing_none: {
    es: 'el servidor no delimita su salida (como el seed): cada recv() del cliente es un mensaje',
    en: 'the server does not delimit its output (like the seed): each recv() of a client is a message',
  },
  check_framing_unknown: { es: 'no se pudo saber cómo delimita el servidor su salida', en: 'how the server delimits its output could not be told' },
  check_heading: { es: 'charla check: {targets}', en: 'charla check: {targets}' },
  check_summary: { es: '{passed} pasan, {failed} fallan, {skipped} omitidas', en: '{passed} passed, {failed} failed, {skipped} skipped' },
  check_grade: { es: 'Nota: {points} de {max} puntos ({percent} %)', en: 'Grade: {points} of {max} points ({percent}%)' },
  check_col_scenario: { es: 'prueba', en: 'scenario' },
  check_col_group: { es: 'grupo', en: 'group' },
  check_col_result: { es: 'resultado', en: 'result' },
  check_col_what: { es: 'qué se comprueba', en: 'what is checked' },
  check_col_file: { es: 'fichero', en: 'file' },
  check_col_grade: { es: 'nota', en: 'grade' },
  check_progress: { es: 'charla check: [{n}/{total}] {file}', en: 'charla check: [{n}/{total}] {file}' },
  check_col_state: { es: 'estado', en: 'state' },
  check_evidence: { es: 'Evidencia', en: 'Evidence' },
  check_explanation: { es: 'Explicación', en: 'Explanation' },
  check_traffic_notice: {
    es: 'charla check: {host} no es esta máquina; se le enviarán como mucho {kib} KiB en {connections} conexiones TCP y {datagrams} datagramas UDP.',
    en: 'charla check: {host} is not this machine; at most {kib} KiB will be sent to it over {connections} TCP connections and {datagrams} UDP datagrams.',
  },
  check_server_ok: { es: 'evaluado', en: 'graded' },
  check_server_crashed: { es: 'el servidor terminó antes de escuchar (código {code}): {stderr}', en: 'the server exited before listening (code {code}): {stderr}' },
  check_server_never_listened: { es: 'el servidor no escuchó en {seconds} s', en: 'the server did not listen within {seconds} s' },
  check_server_died: { es: 'el servidor terminó durante las pruebas (código {code})', en: 'the server exited during the run (code {code})' },
  check_legend: { es: 'Columnas: {legend}', en: 'Columns: {legend}' },
  check_report_written: { es: 'charla check: informe escrito en {path}', en: 'charla check: report written to {path}' },
  check_junit_written: { es: 'charla check: JUnit escrito en {path}', en: 'charla check: JUnit written to {path}' },
} as const satisfies Record<string, Entry>;

/** A key of the message catalogue. */
export type MessageKey = keyof typeof CATALOGUE;

/** The reasons a user can leave, each with its own catalogue entry `reason_<reason>`. */
export type LeaveReason =
  | 'quit'
  | 'disconnected'
  | 'connection_lost'
  | 'timeout'
  | 'slow'
  | 'flood'
  | 'kicked'
  | 'server_shutdown'
  | 'error'
  | 'unreachable'
  | 'echo'
  | 'displaced'
  | 'no_ack'
  | 'resumed'
  | 'removed';

/**
 * The text for `key` in `lang`, with `{param}` placeholders filled in. A missing parameter is
 * left as `{param}` so a mistake shows in the output instead of throwing on a user's line.
 */
export function text(lang: Lang, key: MessageKey, params?: Params): string {
  const template: string = CATALOGUE[key][lang];
  if (params === undefined) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** A translator bound to one language: `t('user_joined', { name })`. */
export type Translate = (key: MessageKey, params?: Params) => string;

/** Binds {@link text} to a language. */
export function translator(lang: Lang): Translate {
  return (key, params) => text(lang, key, params);
}

/** The leave notice for `name`: the seed's plain notice for a goodbye, the reason otherwise. */
export function leaveNotice(t: Translate, name: string, reason: LeaveReason, reasonArgs?: Params): string {
  if (reason === 'quit') return t('user_left', { name });
  return t('user_left_because', { name, reason: t(`reason_${reason}`, reasonArgs) });
}

/** Parses a `--lang` value; undefined when it is not a known language. */
export function parseLang(value: string): Lang | undefined {
  return (LANGS as readonly string[]).includes(value) ? (value as Lang) : undefined;
}
