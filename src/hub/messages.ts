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
  reason_displaced: { es: 'sin validar, dejó sitio a otro usuario', en: 'unvalidated, made room for another user' },

  // --- replies to one user ---
  welcome: {
    es: '*** Bienvenido/a a charla, {name}. Conectados: {users}. Escribe /ayuda para ver los comandos. ***',
    en: '*** Welcome to charla, {name}. Online: {users}. Type /help for the commands. ***',
  },
  user_list: { es: 'Usuarios: {users}', en: 'Users: {users}' }, // seed: "Usuarios: a, b, c"
  room_entered: {
    es: '*** Estás en la sala {room}. Conectados: {users}. ***',
    en: '*** You are in the room {room}. Online: {users}. ***',
  },
  room_list: { es: 'Salas: {rooms}', en: 'Rooms: {rooms}' },
  room_entry: { es: '{room} ({count})', en: '{room} ({count})' },
  history_header: {
    es: '*** Últimos {count} mensajes de la sala {room} (ya pasados): ***',
    en: '*** The last {count} messages of the room {room} (past): ***',
  },
  history_line: { es: '[{time}] {from}: {text}', en: '[{time}] {from}: {text}' },
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
      '  /admin KEY                makes you an operator',
    ].join('\n'),
  },

  help_operator: {
    es: [
      'Comandos de operador:',
      '  /expulsar NOMBRE [motivo] (/kick)     desconecta a un usuario',
      '  /silenciar NOMBRE [minutos] (/mute)   lo silencia (10 min); otra vez: se lo quita',
      '  /anunciar TEXTO (/announce)           un aviso a todas las salas',
    ].join('\n'),
    en: [
      'Operator commands:',
      '  /kick NAME [reason] (/expulsar)       disconnects a user',
      '  /mute NAME [minutes] (/silenciar)     mutes them (10 min); again: unmutes',
      '  /announce TEXT (/anunciar)            a notice to every room',
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
  irc_topic_not_yet: { es: 'Este servidor aún no guarda temas', en: 'This server does not keep topics yet' },
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

  // --- server console ---
  log_tcp_listening: { es: 'charla: TCP escuchando en {address}', en: 'charla: TCP listening on {address}' },
  log_udp_listening: { es: 'charla: UDP escuchando en {address}', en: 'charla: UDP listening on {address}' },
  log_irc_listening: { es: 'charla: IRC escuchando en {address}', en: 'charla: IRC listening on {address}' },
  log_ircs_listening: { es: 'charla: IRC con TLS escuchando en {address}', en: 'charla: IRC over TLS listening on {address}' },
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
  log_shutdown: { es: 'charla: cerrando ({users} usuarios avisados)…', en: 'charla: shutting down ({users} users told)…' },
  log_udp_send_failed: {
    es: 'charla: no se puede enviar a {peer}: {error}',
    en: 'charla: cannot send to {peer}: {error}',
  },
  log_udp_withheld: {
    es: 'charla: {peer} no ha validado su dirección: se retienen las respuestas de más de 3 veces lo recibido de ella (antiamplificación)',
    en: 'charla: {peer} has not validated its address: replies over 3 times what it sent are withheld (anti-amplification)',
  },
  log_udp_echo: {
    es: 'charla: {peer} devolvía los mensajes del servidor (¿otro servidor o un bucle?); se ignora durante {minutes} min',
    en: "charla: {peer} echoed the server's messages back (another server, or a loop?); ignored for {minutes} min",
  },
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
export function leaveNotice(t: Translate, name: string, reason: LeaveReason): string {
  if (reason === 'quit') return t('user_left', { name });
  return t('user_left_because', { name, reason: t(`reason_${reason}`) });
}

/** Parses a `--lang` value; undefined when it is not a known language. */
export function parseLang(value: string): Lang | undefined {
  return (LANGS as readonly string[]).includes(value) ? (value as Lang) : undefined;
}
