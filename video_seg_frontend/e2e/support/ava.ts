// Five of AVA v2.2's actions, as ava_action_list_v2.2.pbtxt writes them; the studio binds them to
// keys 1 … 5 in id order.
export const AVA_LABEL_MAP = [
	['bend/bow (at the waist)', 1, 'PERSON_MOVEMENT'],
	['sit', 11, 'PERSON_MOVEMENT'],
	['stand', 12, 'PERSON_MOVEMENT'],
	['carry/hold (an object)', 17, 'OBJECT_MANIPULATION'],
	['talk to (e.g., self, a person, a group)', 79, 'PERSON_INTERACTION']
]
	.map(([name, id, type]) => `label {\n  name: "${name}"\n  label_id: ${id}\n  label_type: ${type}\n}\n`)
	.join('');
export const [SIT, STAND, CARRY, TALK] = [11, 12, 17, 79];
