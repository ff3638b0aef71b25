/**
 * The page's own words, es + en, by key. What the server says (notices, replies, refusals)
 * arrives already rendered in the connection's language and is never translated here.
 */
import type { WsLang } from '../src/protocol/ws-frames.js';

const CATALOGUE = {
  title: { es: 'charla', en: 'charla' },
  name_label: { es: 'Tu nombre', en: 'Your name' },
  password_label: { es: 'Contraseña del servidor', en: 'Server password' },
  enter: { es: 'Entrar', en: 'Join' },
  connecting: { es: 'Conectando…', en: 'Connecting…' },
  connected: { es: 'Conectado', en: 'Connected' },
  reconnecting: { es: 'Reconectando…', en: 'Reconnecting…' },
  offline: { es: 'Desconectado', en: 'Disconnected' },
  rejoin: { es: 'Volver a entrar', en: 'Join again' },
  room: { es: 'Sala', en: 'Room' },
  rooms: { es: 'Salas', en: 'Rooms' },
  refresh_rooms: { es: 'Actualizar salas', en: 'Refresh rooms' },
  users: { es: 'Usuarios', en: 'Users' },
  user_private: { es: 'Mensaje privado a {name}', en: 'Private message to {name}' },
  join_room: { es: 'Ir a la sala {room}', en: 'Go to room {room}' },
  line_label: { es: 'Mensaje o /comando', en: 'Message or /command' },
  line_placeholder: { es: 'Escribe y pulsa Intro (/ayuda para los comandos)', en: 'Type and press Enter (/help for commands)' },
  send: { es: 'Enviar', en: 'Send' },
  messages: { es: 'Mensajes', en: 'Messages' },
  new_messages: { es: 'Mensajes nuevos ↓', en: 'New messages ↓' },
  you: { es: 'tú', en: 'you' },
  past: { es: 'antes', en: 'earlier' },
  private_from: { es: '(privado)', en: '(private)' },
  private_to: { es: '(privado para {name})', en: '(private to {name})' },
  announce: { es: '[anuncio de {name}]', en: '[announcement by {name}]' },
  missed: { es: 'Mientras estabas desconectado:', en: 'While you were away:' },
  history_empty: { es: 'La sala no guarda mensajes anteriores.', en: 'The room keeps no earlier messages.' },
  gap: { es: 'Faltan mensajes: se perdieron más de los que guarda la sala.', en: 'Some messages are missing: more were sent than the room keeps.' },
  not_connected: { es: 'Sin conexión: el mensaje no se envió.', en: 'Not connected: the message was not sent.' },
  lang_toggle: { es: 'English', en: 'Español' },
} as const;

export type UiKey = keyof typeof CATALOGUE;

/** The page's language: a choice saved earlier, else the browser's first language, else Spanish. */
export function pickLang(saved: string | null, browser: readonly string[]): WsLang {
  if (saved === 'es' || saved === 'en') return saved;
  for (const tag of browser) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'es') return 'es';
    if (base === 'en') return 'en';
  }
  return 'es';
}

/** `key` in `lang`, with `{name}` style arguments filled in. */
export function ui(lang: WsLang, key: UiKey, args?: Readonly<Record<string, string>>): string {
  let s: string = CATALOGUE[key][lang];
  if (args !== undefined) for (const k of Object.keys(args)) s = s.split(`{${k}}`).join(args[k] ?? '');
  return s;
}
